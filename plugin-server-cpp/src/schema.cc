#include "gantry_pdk/schema.h"

#include <cmath>

namespace gantry_pdk {
namespace {

using json = nlohmann::json;

const char* typeName(Field::Type type) {
  switch (type) {
  case Field::Type::String: return "string";
  case Field::Type::Boolean: return "boolean";
  case Field::Type::Integer: return "integer";
  case Field::Type::Number: return "number";
  case Field::Type::Array: return "array";
  case Field::Type::Map: return "map";
  case Field::Type::Record: return "record";
  }
  return "string";
}

std::string expected(Field::Type type) {
  const std::string name = typeName(type);
  return (type == Field::Type::Integer || type == Field::Type::Array) ? "expected an " + name
                                                                       : "expected a " + name;
}

bool isIntegral(const json& value) {
  if (value.is_number_integer()) {
    return true;
  }
  if (!value.is_number_float()) {
    return false;
  }
  const double d = value.get<double>();
  return std::trunc(d) == d && std::fabs(d) < 9.0e15;
}

json validateRecord(const std::vector<Field>& fields, const json& value, const std::string& path,
                    std::vector<std::string>& errors) {
  auto join = [&](const std::string& name) { return path.empty() ? name : path + "." + name; };
  json out = json::object();
  for (const Field& field : fields) {
    auto it = value.find(field.name());
    if (it == value.end() || it->is_null()) {
      json def = field.toKongJson();
      if (def.contains("default") && !def["default"].is_null()) {
        out[field.name()] = def["default"];
      } else if (field.isRequired()) {
        errors.push_back(join(field.name()) + ": required field missing");
      }
      continue;
    }
    out[field.name()] = field.validate(*it, join(field.name()), errors);
  }
  for (auto it = value.begin(); it != value.end(); ++it) {
    bool known = false;
    for (const Field& field : fields) {
      known = known || field.name() == it.key();
    }
    if (!known) {
      errors.push_back(join(it.key()) + ": unknown field");
    }
  }
  return out;
}

}  // namespace

Field Field::array(std::string name, Field elements) {
  Field f(Type::Array, std::move(name));
  f.children_.push_back(std::move(elements));
  return f;
}

Field Field::map(std::string name, Field keys, Field values) {
  Field f(Type::Map, std::move(name));
  f.children_.push_back(std::move(keys));
  f.children_.push_back(std::move(values));
  return f;
}

Field Field::record(std::string name, std::vector<Field> fields) {
  Field f(Type::Record, std::move(name));
  f.children_ = std::move(fields);
  return f;
}

Field Field::required(bool value) const {
  Field f = *this;
  f.required_ = value;
  return f;
}

Field Field::defaultValue(nlohmann::json value) const {
  Field f = *this;
  f.default_ = std::move(value);
  return f;
}

Field Field::oneOf(std::vector<nlohmann::json> values) const {
  Field f = *this;
  f.oneOf_ = std::move(values);
  return f;
}

Field Field::between(double min, double max) const {
  Field f = *this;
  f.between_ = {min, max};
  return f;
}

nlohmann::json Field::toKongJson() const {
  json out = {{"type", typeName(type_)}};
  if (required_) {
    out["required"] = true;
  }
  if (default_) {
    out["default"] = *default_;
  }
  if (!oneOf_.empty()) {
    out["one_of"] = oneOf_;
  }
  if (between_) {
    // Integers get integral bounds so the JSON reads naturally ([1, 100], not [1.0, 100.0]).
    if (type_ == Type::Integer) {
      out["between"] = {static_cast<int64_t>(between_->first),
                        static_cast<int64_t>(between_->second)};
    } else {
      out["between"] = {between_->first, between_->second};
    }
  }
  switch (type_) {
  case Type::Array: out["elements"] = children_.at(0).toKongJson(); break;
  case Type::Map:
    out["keys"] = children_.at(0).toKongJson();
    out["values"] = children_.at(1).toKongJson();
    break;
  case Type::Record: {
    json fields = json::array();
    for (const Field& child : children_) {
      fields.push_back(json{{child.name(), child.toKongJson()}});
    }
    out["fields"] = std::move(fields);
    break;
  }
  default: break;
  }
  return out;
}

nlohmann::json Field::validate(const nlohmann::json& value, const std::string& path,
                               std::vector<std::string>& errors) const {
  const size_t before = errors.size();
  json out = value;
  bool typeOk = true;
  switch (type_) {
  case Type::String: typeOk = value.is_string(); break;
  case Type::Boolean: typeOk = value.is_boolean(); break;
  case Type::Integer: typeOk = isIntegral(value); break;
  case Type::Number: typeOk = value.is_number(); break;
  case Type::Array:
    typeOk = value.is_array();
    if (typeOk) {
      out = json::array();
      for (size_t i = 0; i < value.size(); ++i) {
        out.push_back(
            children_.at(0).validate(value[i], path + "[" + std::to_string(i) + "]", errors));
      }
    }
    break;
  case Type::Map:
    typeOk = value.is_object();
    if (typeOk) {
      out = json::object();
      for (auto it = value.begin(); it != value.end(); ++it) {
        const std::string p = path + "." + it.key();
        children_.at(0).validate(json(it.key()), p, errors);
        out[it.key()] = children_.at(1).validate(it.value(), p, errors);
      }
    }
    break;
  case Type::Record:
    typeOk = value.is_object();
    if (typeOk) {
      out = validateRecord(children_, value, path, errors);
    }
    break;
  }
  if (!typeOk) {
    errors.push_back(path + ": " + expected(type_));
    return value;
  }
  if (errors.size() != before) {
    return out;
  }
  if (!oneOf_.empty()) {
    bool found = false;
    std::string list;
    for (const json& v : oneOf_) {
      found = found || v == value;
      list += (list.empty() ? "" : ", ") + (v.is_string() ? v.get<std::string>() : v.dump());
    }
    if (!found) {
      errors.push_back(path + ": expected one of: " + list);
    }
  }
  if (between_ && value.is_number()) {
    const double v = value.get<double>();
    if (v < between_->first || v > between_->second) {
      const json b = toKongJson()["between"];
      errors.push_back(path + ": value should be between " + b[0].dump() + " and " +
                       b[1].dump());
    }
  }
  return out;
}

std::optional<nlohmann::json> Schema::validate(const nlohmann::json& config,
                                               std::string& error) const {
  const json input = config.is_null() ? json::object() : config;
  if (!input.is_object()) {
    error = "config: expected a record";
    return std::nullopt;
  }
  std::vector<std::string> errors;
  json out = validateRecord(fields_, input, "", errors);
  if (errors.empty()) {
    return out;
  }
  error.clear();
  for (const std::string& e : errors) {
    error += (error.empty() ? "" : "; ") + e;
  }
  return std::nullopt;
}

nlohmann::json Schema::toKongJson(const std::string& pluginName) const {
  json fields = json::array();
  for (const Field& field : fields_) {
    fields.push_back(json{{field.name(), field.toKongJson()}});
  }
  return json{{"name", pluginName},
              {"fields", json::array({json{{"config", json{{"type", "record"},
                                                           {"fields", std::move(fields)}}}}})}};
}

}  // namespace gantry_pdk
