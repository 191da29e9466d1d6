#include "plugin/schema_validator.h"

#include <cmath>

namespace gateway::plugin {
namespace {

using json = nlohmann::json;

json validateValue(const json& field, const json& value, const std::string& path,
                   std::vector<SchemaError>& errors);

std::string article(const std::string& type) {
  return (type == "integer" || type == "array") ? "an " + type : "a " + type;
}

json validateRecord(const json& record, const json& value, const std::string& path,
                    std::vector<SchemaError>& errors) {
  if (!value.is_object()) {
    errors.push_back({path, "expected a record"});
    return value;
  }
  json out = json::object();
  const json& fields = record.contains("fields") ? record["fields"] : json::array();
  // Declared fields, in schema order: type checks, required, defaults.
  for (const auto& entry : fields) {
    if (!entry.is_object() || entry.size() != 1) {
      continue;
    }
    const std::string& name = entry.begin().key();
    const json& def = entry.begin().value();
    auto it = value.find(name);
    const std::string fieldPath = path + "." + name;
    if (it == value.end() || it->is_null()) {
      if (def.contains("default") && !def["default"].is_null()) {
        out[name] = def["default"];
      } else if (def.value("required", false)) {
        errors.push_back({fieldPath, "required field missing"});
      }
      continue;
    }
    out[name] = validateValue(def, *it, fieldPath, errors);
  }
  for (auto it = value.begin(); it != value.end(); ++it) {
    bool known = false;
    for (const auto& entry : fields) {
      if (entry.is_object() && entry.size() == 1 && entry.begin().key() == it.key()) {
        known = true;
        break;
      }
    }
    if (!known) {
      errors.push_back({path + "." + it.key(), "unknown field"});
    }
  }
  return out;
}

void checkConstraints(const json& field, const json& value, const std::string& path,
                      std::vector<SchemaError>& errors) {
  if (field.contains("one_of") && field["one_of"].is_array()) {
    bool found = false;
    std::string list;
    for (const auto& v : field["one_of"]) {
      found = found || v == value;
      list += (list.empty() ? "" : ", ") + (v.is_string() ? v.get<std::string>() : v.dump());
    }
    if (!found) {
      errors.push_back({path, "expected one of: " + list});
    }
  }
  if (field.contains("between") && field["between"].is_array() && field["between"].size() == 2 &&
      value.is_number()) {
    const double v = value.get<double>();
    const auto& b = field["between"];
    if (v < b[0].get<double>() || v > b[1].get<double>()) {
      errors.push_back({path, "value should be between " + b[0].dump() + " and " + b[1].dump()});
    }
  }
  size_t len = 0;
  bool hasLen = true;
  if (value.is_string()) {
    len = value.get_ref<const std::string&>().size();
  } else if (value.is_array()) {
    len = value.size();
  } else {
    hasLen = false;
  }
  if (hasLen && field.contains("len_min") && len < field["len_min"].get<size_t>()) {
    errors.push_back({path, "length must be at least " + field["len_min"].dump()});
  }
  if (hasLen && field.contains("len_max") && len > field["len_max"].get<size_t>()) {
    errors.push_back({path, "length must be at most " + field["len_max"].dump()});
  }
}

json validateValue(const json& field, const json& value, const std::string& path,
                   std::vector<SchemaError>& errors) {
  const std::string type = field.value("type", std::string());
  const size_t before = errors.size();
  json out = value;
  if (type == "string") {
    if (!value.is_string()) {
      errors.push_back({path, "expected a string"});
    }
  } else if (type == "boolean") {
    if (!value.is_boolean()) {
      errors.push_back({path, "expected a boolean"});
    }
  } else if (type == "integer") {
    bool integral = value.is_number_integer();
    if (value.is_number_float()) {
      const double d = value.get<double>();
      integral = std::trunc(d) == d && std::fabs(d) < 9.0e15;
    }
    if (!integral) {
      errors.push_back({path, "expected an integer"});
    }
  } else if (type == "number") {
    if (!value.is_number()) {
      errors.push_back({path, "expected a number"});
    }
  } else if (type == "array" || type == "set") {
    if (!value.is_array()) {
      errors.push_back({path, "expected " + article(type)});
    } else if (field.contains("elements")) {
      out = json::array();
      for (size_t i = 0; i < value.size(); ++i) {
        out.push_back(validateValue(field["elements"], value[i],
                                    path + "[" + std::to_string(i) + "]", errors));
      }
    }
  } else if (type == "map") {
    if (!value.is_object()) {
      errors.push_back({path, "expected a map"});
    } else {
      out = json::object();
      for (auto it = value.begin(); it != value.end(); ++it) {
        const std::string p = path + "." + it.key();
        if (field.contains("keys")) {
          validateValue(field["keys"], json(it.key()), p, errors);
        }
        out[it.key()] =
            field.contains("values") ? validateValue(field["values"], it.value(), p, errors)
                                     : it.value();
      }
    }
  } else if (type == "record") {
    out = validateRecord(field, value, path, errors);
  }
  // Unknown types ("foreign", "function", ...) are accepted as they are.
  if (errors.size() == before) {
    checkConstraints(field, value, path, errors);
  }
  return out;
}

} // namespace

StatusOr<ConfigSchema> ConfigSchema::parse(std::string_view schemaJson) {
  ConfigSchema schema;
  schema.record_ = json{{"type", "record"}, {"fields", json::array()}};
  if (schemaJson.empty()) {
    return schema;
  }
  json doc = json::parse(schemaJson, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return invalidArgument("schema is not a JSON object");
  }
  if (!doc.contains("fields") || !doc["fields"].is_array()) {
    return invalidArgument("schema has no \"fields\" array");
  }
  for (const auto& entry : doc["fields"]) {
    if (entry.is_object() && entry.contains("config")) {
      const json& config = entry["config"];
      if (!config.is_object() || config.value("type", std::string()) != "record") {
        return invalidArgument("schema field \"config\" is not a record");
      }
      schema.record_ = config;
      if (!schema.record_.contains("fields")) {
        schema.record_["fields"] = json::array();
      }
    }
  }
  return schema;
}

nlohmann::json ConfigSchema::validate(const nlohmann::json& config, const std::string& basePath,
                                      std::vector<SchemaError>& errors) const {
  const json input = config.is_null() ? json::object() : config;
  return validateRecord(record_, input, basePath, errors);
}

} // namespace gateway::plugin
