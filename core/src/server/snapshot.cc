#include "server/snapshot.h"

namespace gateway::server {

proxy::ConfigSnapshotSharedPtr buildSnapshot(config::ConfigSharedPtr config, uint64_t generation) {
  auto snapshot = std::make_shared<proxy::ConfigSnapshot>();
  snapshot->router = router::createRouter(*config);
  // PLUGIN RUNTIME: build the plugin::PluginPlan of this config here (null = no plugins).
  snapshot->plugins = nullptr;
  snapshot->generation = generation;
  snapshot->config = std::move(config);
  return snapshot;
}

} // namespace gateway::server
