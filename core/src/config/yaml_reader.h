#pragma once

// Typed, path-aware reading of yaml-cpp nodes for the config loader. Nothing here throws: every
// problem becomes an error in an ErrorList, naming its place (`services[0].port`) and carrying the
// position in the file so the loader can report all errors in file order.
//
// Types follow the YAML 1.2 core schema, so JSON and YAML read the same way: a quoted scalar is
// always a string, a plain scalar is null/bool/int/float when it looks like one, else a string.

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "gateway/config/loader.h"

namespace gateway::config::detail {

// Errors collected while loading; sorted() returns them in file order (errors without a position
// first, then by position, ties in the order they were added).
class ErrorList {
public:
  void add(const YAML::Mark& mark, std::string path, std::string message);
  void add(std::string path, std::string message) { add(YAML::Mark::null_mark(), std::move(path), std::move(message)); }
  bool empty() const { return errors_.empty(); }
  size_t size() const { return errors_.size(); }
  std::vector<LoadError> sorted() const;

private:
  struct Entry {
    long pos;
    size_t seq;
    LoadError error;
  };
  std::vector<Entry> errors_;
};

// "a" + "b" -> "a.b" ("" + "b" -> "b"); "a" + 3 -> "a[3]".
std::string joinPath(const std::string& base, std::string_view key);
std::string indexPath(const std::string& base, size_t index);

enum class ScalarKind { Null, Bool, Int, Float, String };
// Kind of a scalar or null node (maps and sequences are not scalars; callers check first).
ScalarKind classify(const YAML::Node& node);
// Human-readable type of any node, for messages: "a string", "an array", ...
std::string describe(const YAML::Node& node);

// Readers of single values. On a type or range error they report at `path` and return nullopt.
std::optional<std::string> readString(const YAML::Node& node, const std::string& path, ErrorList& errors);
std::optional<int64_t> readInt(const YAML::Node& node, const std::string& path, ErrorList& errors,
                               int64_t min, int64_t max);
std::optional<bool> readBool(const YAML::Node& node, const std::string& path, ErrorList& errors);
// An array of strings; elements with the wrong type are reported and skipped.
std::optional<std::vector<std::string>> readStringList(const YAML::Node& node, const std::string& path,
                                                       ErrorList& errors);
// Any node as JSON (maps need string keys; `_comment`/`_ignore` keys are dropped).
std::optional<nlohmann::json> readJson(const YAML::Node& node, const std::string& path, ErrorList& errors);

// Reads the fields of one map. Each accessor marks its key as known; finish() reports every key
// that no accessor asked for as "unknown field" (except `_comment` and `_ignore`, which are
// ignored everywhere), and duplicate keys. A null value counts as absent, as in Kong.
class MapReader {
public:
  // Reports "expected an object" when the node is not a map; valid() is false then.
  MapReader(YAML::Node node, std::string path, ErrorList& errors);

  bool valid() const { return valid_; }
  const std::string& path() const { return path_; }
  const YAML::Node& node() const { return node_; }
  YAML::Mark mark() const { return node_.Mark(); }
  ErrorList& errors() { return errors_; }
  std::string fieldPath(std::string_view key) const { return joinPath(path_, key); }

  // The value, or an undefined/null node (operator bool false) when absent or null.
  YAML::Node get(const std::string& key);
  bool has(const std::string& key) { return static_cast<bool>(get(key)); }
  // Marks a key as known without reading it (fields accepted and ignored).
  void accept(const std::string& key) { known_.insert(key); }
  // Reports `path.key: required field missing` at the map's position.
  void missing(const std::string& key);
  // Reports an error at the position of a field's value.
  void error(const std::string& key, std::string message);

  // Typed fields; `out` is left unchanged when the field is absent or invalid. Return true when the
  // field was present and valid.
  bool string(const std::string& key, std::string& out, bool required = false);
  bool boolean(const std::string& key, bool& out);
  template <typename T> bool integer(const std::string& key, T& out, int64_t min, int64_t max) {
    YAML::Node n = get(key);
    if (!n) return false;
    auto v = readInt(n, fieldPath(key), errors_, min, max);
    if (v) out = static_cast<T>(*v);
    return v.has_value();
  }
  bool stringList(const std::string& key, std::vector<std::string>& out);
  // One of `allowed` (message lists them).
  bool oneOf(const std::string& key, std::string& out, const std::vector<std::string>& allowed);
  // A Kong field gantry does not implement: accepted when absent, null or an empty array/object,
  // otherwise "is not supported by gantry".
  void unsupported(const std::string& key);

  // Reports unknown and duplicate keys.
  void finish();

private:
  YAML::Node node_;
  std::string path_;
  ErrorList& errors_;
  std::set<std::string, std::less<>> known_;
  bool valid_{false};
};

// Iterates a sequence field: reports "expected an array" when it is not one.
bool isSequence(const YAML::Node& node, const std::string& path, ErrorList& errors);

} // namespace gateway::config::detail
