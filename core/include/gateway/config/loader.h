#pragma once

// Loading and validating a declarative configuration file (YAML or JSON, Kong's format 3.0 plus a
// `gantry:` section for gateway settings and `plugin_servers:`). Every error found is reported,
// each naming its place, e.g. `services[0].routes[1].paths[0]: must start with "/"`.

#include <string>
#include <vector>

#include "gateway/config/model.h"

namespace gateway::config {

struct LoadError {
  std::string path;     // e.g. "services[0].routes[1].paths[0]"; empty for file-level errors.
  std::string message;  // e.g. "must start with \"/\"".
  int line{0};          // 1-based position in the file; 0 when unknown.
  int column{0};
  std::string toString() const { return path.empty() ? message : path + ": " + message; }
};

struct LoadResult {
  ConfigSharedPtr config;          // Set only when errors is empty.
  std::vector<LoadError> errors;   // All errors found, in file order.
};

// Reads and validates the file. Never throws.
LoadResult loadFile(const std::string& path);
// Parses and validates text; `name` is used for messages. YAML is a superset of JSON, so one
// parser handles both. Never throws.
LoadResult loadString(const std::string& text, const std::string& name);

} // namespace gateway::config
