#pragma once

// The plugin runtime's error-log sink (PluginManagerOptions::log). Thread-safe.

#include <functional>
#include <string>
#include <string_view>

namespace gateway::plugin {

using LogFn = std::function<void(std::string_view level, std::string_view message)>;

// Returns `fn`, or a sink writing "<level> <message>" lines to stderr when `fn` is empty.
LogFn makeLogFn(LogFn fn);

} // namespace gateway::plugin
