#pragma once

// Validates a plugin entity's `config` against the schema its plugin server declared
// (PluginInfo.schema_json, Kong's schema JSON:
//   {"name": "x", "fields": [{"config": {"type": "record", "fields": [{"f": {...}}, ...]}}]}).
// Supported field attributes: type (string, boolean, integer, number, array, set, map, record),
// required, default, elements (array/set), keys/values (map), fields (record), one_of, between,
// len_min, len_max. Unknown fields are rejected; JSON null counts as absent; defaults are filled
// in (as Kong does before it hands a config to a plugin). Pure; no I/O.

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "gateway/common/status.h"

namespace gateway::plugin {

struct SchemaError {
  std::string path;     // e.g. "plugins[2].config.message".
  std::string message;  // e.g. "expected a string".
  std::string toString() const { return path + ": " + message; }
};

// The `config` record of a plugin schema.
class ConfigSchema {
public:
  // Parses PluginInfo.schema_json. An empty text means "no configuration fields".
  static StatusOr<ConfigSchema> parse(std::string_view schemaJson);

  // Validates `config` (the entity's config object) and returns it with defaults filled in.
  // Errors are appended to `errors`, each path prefixed with `basePath` (e.g.
  // "plugins[2].config").
  nlohmann::json validate(const nlohmann::json& config, const std::string& basePath,
                          std::vector<SchemaError>& errors) const;

private:
  nlohmann::json record_;  // {"type": "record", "fields": [...]}.
};

} // namespace gateway::plugin
