#pragma once

// The server's use of the plugin runtime outside the Server class: the manager's options (log
// sink = the process error log) and `gantry check` for files with plugins.

#include <ostream>
#include <string>

#include "gateway/config/model.h"
#include "gateway/plugin/runtime.h"

namespace gateway::server {

// Options for plugin::createPluginManager: log lines go to gateway::log (thread-safe), levels
// mapped by name ("alert" -> crit).
plugin::PluginManagerOptions pluginManagerOptions();

// True when the configuration needs the plugin runtime to be validated (it has plugins or
// plugin servers).
bool needsPluginRuntime(const config::Config& config);

// `gantry check -c FILE`: loads the file; if it has plugins or plugin servers, starts the
// servers, validates the plugin configs against their schemas and Configure answers, and stops
// the servers. Prints `FILE: ok` (returns 0) or one `FILE: <path>: <message>` line per error
// (returns 1).
int runCheckWithPlugins(const std::string& path, std::ostream& out);

} // namespace gateway::server
