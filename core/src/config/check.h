#pragma once

// `gantry check -c FILE`: loads a configuration file and reports the result, one line per error.

#include <ostream>
#include <string>

namespace gateway::config {

// Prints `FILE: path: message` per error and returns 1, or prints `FILE: ok` and returns 0.
int runCheck(const std::string& path, std::ostream& out);

} // namespace gateway::config
