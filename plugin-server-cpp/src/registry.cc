#include <mutex>

#include "gantry_pdk/plugin.h"

namespace gantry_pdk {
namespace {

struct Registry {
  std::mutex mutex;
  std::vector<PluginDescriptor> plugins;
};

Registry& registry() {
  static Registry r;  // Function-local: safe from static-initialisation order.
  return r;
}

}  // namespace

bool registerPlugin(PluginDescriptor descriptor) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  std::erase_if(r.plugins, [&](const PluginDescriptor& d) { return d.name == descriptor.name; });
  r.plugins.push_back(std::move(descriptor));
  return true;
}

std::vector<PluginDescriptor> registeredPlugins() {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  return r.plugins;
}

std::unique_ptr<Plugin> PluginDescriptor::instantiate(const std::string& configJson,
                                                      std::string& error) const {
  nlohmann::json config = configJson.empty()
                              ? nlohmann::json::object()
                              : nlohmann::json::parse(configJson, nullptr, false);
  if (config.is_discarded()) {
    error = "config is not valid JSON";
    return nullptr;
  }
  if (config.is_null()) {
    config = nlohmann::json::object();
  }
  if (!config.is_object()) {
    error = "config: expected a record";
    return nullptr;
  }
  if (schema) {
    std::optional<nlohmann::json> valid = schema->validate(config, error);
    if (!valid) {
      return nullptr;
    }
    config = std::move(*valid);
  }
  try {
    std::unique_ptr<Plugin> plugin = create(config);
    if (!plugin) {
      error = "plugin constructor returned no instance";
    }
    return plugin;
  } catch (const std::exception& e) {
    error = e.what();
  } catch (...) {
    error = "plugin constructor threw a non-standard exception";
  }
  return nullptr;
}

std::string PluginDescriptor::schemaJson() const {
  return schema ? schema->toKongJson(name).dump() : std::string();
}

}  // namespace gantry_pdk
