#include "config/yaml_reader.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <regex>

namespace gateway::config::detail {

void ErrorList::add(const YAML::Mark& mark, std::string path, std::string message) {
  LoadError e{std::move(path), std::move(message)};
  if (mark.pos >= 0) {
    e.line = mark.line + 1;
    e.column = mark.column + 1;
  }
  errors_.push_back(Entry{mark.pos, errors_.size(), std::move(e)});
}

std::vector<LoadError> ErrorList::sorted() const {
  std::vector<Entry> copy = errors_;
  std::stable_sort(copy.begin(), copy.end(), [](const Entry& a, const Entry& b) {
    return a.pos != b.pos ? a.pos < b.pos : a.seq < b.seq;
  });
  std::vector<LoadError> out;
  out.reserve(copy.size());
  for (auto& e : copy) out.push_back(std::move(e.error));
  return out;
}

std::string joinPath(const std::string& base, std::string_view key) {
  if (base.empty()) return std::string(key);
  std::string out = base;
  out += '.';
  out += key;
  return out;
}

std::string indexPath(const std::string& base, size_t index) {
  return base + "[" + std::to_string(index) + "]";
}

namespace {


// YAML 1.2 core schema resolution of a plain scalar.
ScalarKind classifyPlain(const std::string& v) {
  if (v.empty() || v == "~" || v == "null" || v == "Null" || v == "NULL") return ScalarKind::Null;
  if (v == "true" || v == "True" || v == "TRUE" || v == "false" || v == "False" || v == "FALSE")
    return ScalarKind::Bool;
  static const std::regex kInt("[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+");
  static const std::regex kFloat(
      "[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN)");
  if (std::regex_match(v, kInt)) return ScalarKind::Int;
  if (std::regex_match(v, kFloat)) return ScalarKind::Float;
  return ScalarKind::String;
}

bool parseInt(const std::string& v, int64_t& out) {
  std::string_view s = v;
  bool neg = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o')) {
    base = s[1] == 'x' ? 16 : 8;
    s.remove_prefix(2);
  }
  uint64_t u = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), u, base);
  if (ec != std::errc() || p != s.data() + s.size()) return false;
  if (u > static_cast<uint64_t>(INT64_MAX)) return false;
  out = neg ? -static_cast<int64_t>(u) : static_cast<int64_t>(u);
  return true;
}

} // namespace

ScalarKind classify(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return ScalarKind::Null;
  const std::string& tag = node.Tag();
  const std::string& v = node.Scalar();
  if (tag == "?") return classifyPlain(v);
  if (tag == "tag:yaml.org,2002:int") return ScalarKind::Int;
  if (tag == "tag:yaml.org,2002:float") return ScalarKind::Float;
  if (tag == "tag:yaml.org,2002:bool") return ScalarKind::Bool;
  if (tag == "tag:yaml.org,2002:null") return ScalarKind::Null;
  return ScalarKind::String;  // quoted ("!"), block scalars, !!str and custom tags
}

std::string describe(const YAML::Node& node) {
  if (node.IsMap()) return "an object";
  if (node.IsSequence()) return "an array";
  switch (classify(node)) {
    case ScalarKind::Null: return "null";
    case ScalarKind::Bool: return "a boolean";
    case ScalarKind::Int: return "an integer";
    case ScalarKind::Float: return "a number";
    case ScalarKind::String: return "a string";
  }
  return "a value";
}

std::optional<std::string> readString(const YAML::Node& node, const std::string& path, ErrorList& errors) {
  if (!node.IsScalar() || classify(node) != ScalarKind::String) {
    errors.add(node.Mark(), path, "expected a string, got " + describe(node));
    return std::nullopt;
  }
  return node.Scalar();
}

std::optional<int64_t> readInt(const YAML::Node& node, const std::string& path, ErrorList& errors,
                               int64_t min, int64_t max) {
  int64_t v = 0;
  if (!node.IsScalar() || classify(node) != ScalarKind::Int) {
    errors.add(node.Mark(), path, "expected an integer, got " + describe(node));
    return std::nullopt;
  }
  if (!parseInt(node.Scalar(), v) || v < min || v > max) {
    errors.add(node.Mark(), path,
               "value should be between " + std::to_string(min) + " and " + std::to_string(max));
    return std::nullopt;
  }
  return v;
}

std::optional<bool> readBool(const YAML::Node& node, const std::string& path, ErrorList& errors) {
  if (!node.IsScalar() || classify(node) != ScalarKind::Bool) {
    errors.add(node.Mark(), path, "expected a boolean, got " + describe(node));
    return std::nullopt;
  }
  char c = node.Scalar()[0];
  return c == 't' || c == 'T';
}

bool isSequence(const YAML::Node& node, const std::string& path, ErrorList& errors) {
  if (node.IsSequence()) return true;
  errors.add(node.Mark(), path, "expected an array, got " + describe(node));
  return false;
}

std::optional<std::vector<std::string>> readStringList(const YAML::Node& node, const std::string& path,
                                                       ErrorList& errors) {
  if (!isSequence(node, path, errors)) return std::nullopt;
  std::vector<std::string> out;
  bool ok = true;
  for (size_t i = 0; i < node.size(); ++i) {
    auto s = readString(node[i], indexPath(path, i), errors);
    if (s) out.push_back(*s);
    else ok = false;
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<nlohmann::json> readJson(const YAML::Node& node, const std::string& path, ErrorList& errors) {
  if (node.IsMap()) {
    nlohmann::json obj = nlohmann::json::object();
    bool ok = true;
    for (auto it = node.begin(); it != node.end(); ++it) {
      auto key = readString(it->first, path, errors);
      if (!key) { ok = false; continue; }
      if (*key == "_comment" || *key == "_ignore") continue;
      if (obj.contains(*key)) {
        errors.add(it->first.Mark(), joinPath(path, *key), "duplicate key");
        ok = false;
        continue;
      }
      auto v = readJson(it->second, joinPath(path, *key), errors);
      if (v) obj[*key] = std::move(*v);
      else ok = false;
    }
    if (!ok) return std::nullopt;
    return obj;
  }
  if (node.IsSequence()) {
    nlohmann::json arr = nlohmann::json::array();
    bool ok = true;
    for (size_t i = 0; i < node.size(); ++i) {
      auto v = readJson(node[i], indexPath(path, i), errors);
      if (v) arr.push_back(std::move(*v));
      else ok = false;
    }
    if (!ok) return std::nullopt;
    return arr;
  }
  switch (classify(node)) {
    case ScalarKind::Null: return nlohmann::json(nullptr);
    case ScalarKind::Bool: return *readBool(node, path, errors);
    case ScalarKind::Int: {
      int64_t v = 0;
      if (parseInt(node.Scalar(), v)) return nlohmann::json(v);
      errors.add(node.Mark(), path, "integer out of range");
      return std::nullopt;
    }
    case ScalarKind::Float: {
      const std::string& s = node.Scalar();
      if (s.find("inf") != std::string::npos || s.find("Inf") != std::string::npos ||
          s.find("INF") != std::string::npos || s.find("nan") != std::string::npos ||
          s.find("NaN") != std::string::npos || s.find("NAN") != std::string::npos) {
        errors.add(node.Mark(), path, "infinity and NaN are not allowed");
        return std::nullopt;
      }
      double d = std::strtod(s.c_str(), nullptr);
      if (!std::isfinite(d)) {
        errors.add(node.Mark(), path, "number out of range");
        return std::nullopt;
      }
      return nlohmann::json(d);
    }
    case ScalarKind::String: return nlohmann::json(node.Scalar());
  }
  return std::nullopt;
}

MapReader::MapReader(YAML::Node node, std::string path, ErrorList& errors)
    : node_(std::move(node)), path_(std::move(path)), errors_(errors) {
  valid_ = node_.IsMap();
  if (!valid_) errors_.add(node_.Mark(), path_, "expected an object, got " + describe(node_));
}

YAML::Node MapReader::get(const std::string& key) {
  known_.insert(key);
  if (!valid_) return YAML::Node(YAML::NodeType::Undefined);
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    if (it->first.IsScalar() && it->first.Scalar() == key) {
      if (it->second.IsNull()) return YAML::Node(YAML::NodeType::Undefined);
      return it->second;
    }
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

void MapReader::missing(const std::string& key) {
  errors_.add(node_.Mark(), fieldPath(key), "required field missing");
}

void MapReader::error(const std::string& key, std::string message) {
  YAML::Node n = get(key);
  errors_.add(n ? n.Mark() : node_.Mark(), fieldPath(key), std::move(message));
}

bool MapReader::string(const std::string& key, std::string& out, bool required) {
  YAML::Node n = get(key);
  if (!n) {
    if (required && valid_) missing(key);
    return false;
  }
  auto v = readString(n, fieldPath(key), errors_);
  if (v) out = *v;
  return v.has_value();
}

bool MapReader::boolean(const std::string& key, bool& out) {
  YAML::Node n = get(key);
  if (!n) return false;
  auto v = readBool(n, fieldPath(key), errors_);
  if (v) out = *v;
  return v.has_value();
}

bool MapReader::stringList(const std::string& key, std::vector<std::string>& out) {
  YAML::Node n = get(key);
  if (!n) return false;
  auto v = readStringList(n, fieldPath(key), errors_);
  if (v) out = std::move(*v);
  return v.has_value();
}

bool MapReader::oneOf(const std::string& key, std::string& out, const std::vector<std::string>& allowed) {
  std::string v;
  if (!string(key, v)) return false;
  if (std::find(allowed.begin(), allowed.end(), v) == allowed.end()) {
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + ("\"" + a + "\"");
    error(key, "expected one of: " + list);
    return false;
  }
  out = v;
  return true;
}

void MapReader::unsupported(const std::string& key) {
  YAML::Node n = get(key);
  if (!n) return;
  if ((n.IsSequence() || n.IsMap()) && n.size() == 0) return;
  errors_.add(n.Mark(), fieldPath(key), "is not supported by gantry");
}

void MapReader::finish() {
  if (!valid_) return;
  std::set<std::string, std::less<>> seen;
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    if (!it->first.IsScalar()) {
      errors_.add(it->first.Mark(), path_, "object keys must be strings");
      continue;
    }
    const std::string& key = it->first.Scalar();
    if (!seen.insert(key).second) {
      errors_.add(it->first.Mark(), fieldPath(key), "duplicate key");
      continue;
    }
    if (key == "_comment" || key == "_ignore") continue;
    if (!known_.count(key)) errors_.add(it->first.Mark(), fieldPath(key), "unknown field");
  }
}

} // namespace gateway::config::detail
