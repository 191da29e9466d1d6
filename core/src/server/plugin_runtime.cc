#include "server/plugin_runtime.h"

#include "common/logging.h"
#include "config/check.h"
#include "gateway/config/loader.h"
#include "gateway/event/dispatcher.h"

namespace gateway::server {

plugin::PluginManagerOptions pluginManagerOptions() {
  plugin::PluginManagerOptions options;
  options.log = [](std::string_view level, std::string_view message) {
    auto parsed = log::parseLevel(level);
    log::write(parsed ? *parsed : (level == "alert" ? log::Level::Crit : log::Level::Notice),
               message);
  };
  return options;
}

bool needsPluginRuntime(const config::Config& config) {
  return !config.plugins.empty() || !config.pluginServers.empty();
}

int runCheckWithPlugins(const std::string& path, std::ostream& out) {
  config::LoadResult result = config::loadFile(path);
  if (!result.errors.empty() || !needsPluginRuntime(*result.config)) {
    return config::runCheck(path, out);
  }
  event::DispatcherPtr main = event::createDispatcher();
  plugin::PluginManagerPtr plugins = plugin::createPluginManager(*main, pluginManagerOptions());
  int code = 1;
  plugins->start(result.config, [&](plugin::PluginPlanSharedPtr plan,
                                    std::vector<plugin::PlanError> errors) {
    if (errors.empty() && plan != nullptr) {
      out << path << ": ok\n";
      code = 0;
    } else {
      for (const auto& e : errors) {
        out << path << ": " << e.toString() << "\n";
      }
      if (errors.empty()) {
        out << path << ": the plugin runtime did not build a plan\n";
      }
    }
    out.flush();
    // Not from inside the runtime's callback: stop on the next loop turn.
    main->post([&] {
      plugins->stop([&] { main->post([&] { main->exit(); }); });
    });
  });
  main->run();
  plugins.reset();
  return code;
}

} // namespace gateway::server
