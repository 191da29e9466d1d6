#pragma once

// A plugin's configuration schema: a small DSL that validates the config JSON gantry sends
// (Configure) and describes it to gantry in Kong's schema JSON (PluginInfo.schema_json).
//
//   static gantry_pdk::Schema schema() {
//     using gantry_pdk::Field;
//     return {Field::string("message").defaultValue("hello"),
//             Field::integer("burst").required().between(1, 10000),
//             Field::string("mode").oneOf({"local", "cluster"}),
//             Field::array("tags", Field::string())};
//   }
//
// Validation follows Kong (and gantry's own check of the same JSON): unknown fields are
// rejected, JSON null counts as absent, defaults are filled in, and an error names the place
// relative to the config object: "message: expected a string", "limits.second: required field
// missing", "tags[2]: expected a string", "mode: expected one of: local, cluster".

#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace gantry_pdk {

// One field (or, unnamed, the element/key/value schema of an array or map). A value type;
// the builder methods return a modified copy, so they chain.
class Field {
public:
  enum class Type { String, Boolean, Integer, Number, Array, Map, Record };

  static Field string(std::string name = {}) { return Field(Type::String, std::move(name)); }
  static Field boolean(std::string name = {}) { return Field(Type::Boolean, std::move(name)); }
  static Field integer(std::string name = {}) { return Field(Type::Integer, std::move(name)); }
  static Field number(std::string name = {}) { return Field(Type::Number, std::move(name)); }
  // An array whose elements all follow `elements` (its name is ignored).
  static Field array(std::string name, Field elements);
  // A JSON object with arbitrary keys; `keys` should be a string field.
  static Field map(std::string name, Field keys, Field values);
  // A nested object with declared fields.
  static Field record(std::string name, std::vector<Field> fields);

  Field required(bool value = true) const;
  Field defaultValue(nlohmann::json value) const;
  // Accepted values (strings or numbers).
  Field oneOf(std::vector<nlohmann::json> values) const;
  // Inclusive bounds for integers and numbers.
  Field between(double min, double max) const;

  const std::string& name() const { return name_; }
  Type type() const { return type_; }
  bool isRequired() const { return required_; }

  // This field's Kong schema JSON, e.g. {"type":"string","required":true,"default":"hi"}.
  nlohmann::json toKongJson() const;

  // Checks `value` (never null) at `path`; returns it with nested defaults filled in.
  // Errors are appended as "path: message".
  nlohmann::json validate(const nlohmann::json& value, const std::string& path,
                          std::vector<std::string>& errors) const;

private:
  Field(Type type, std::string name) : type_(type), name_(std::move(name)) {}

  Type type_;
  std::string name_;
  bool required_ = false;
  std::optional<nlohmann::json> default_;
  std::vector<nlohmann::json> oneOf_;
  std::optional<std::pair<double, double>> between_;
  std::vector<Field> children_;  // Array: [elements]; map: [keys, values]; record: fields.
};

// The `config` record of a plugin.
class Schema {
public:
  Schema() = default;
  Schema(std::initializer_list<Field> fields) : fields_(fields) {}
  explicit Schema(std::vector<Field> fields) : fields_(std::move(fields)) {}

  const std::vector<Field>& fields() const { return fields_; }

  // Validates a config object and fills in defaults. On success returns the config; otherwise
  // returns nullopt and sets `error` to all problems joined with "; " (the first names the
  // first offending field).
  std::optional<nlohmann::json> validate(const nlohmann::json& config, std::string& error) const;

  // Kong schema JSON: {"name": <plugin>, "fields": [{"config": {"type": "record", ...}}]}.
  nlohmann::json toKongJson(const std::string& pluginName) const;

private:
  std::vector<Field> fields_;
};

}  // namespace gantry_pdk
