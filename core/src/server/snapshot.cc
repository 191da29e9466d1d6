#include "server/snapshot.h"

namespace gateway::server {

proxy::ConfigSnapshotSharedPtr buildSnapshot(config::ConfigSharedPtr config, uint64_t generation,
                                             plugin::PluginPlanSharedPtr plugins) {
  auto snapshot = std::make_shared<proxy::ConfigSnapshot>();
  snapshot->router = router::createRouter(*config);
  snapshot->plugins = plugins != nullptr && !plugins->empty() ? std::move(plugins) : nullptr;
  snapshot->generation = generation;
  snapshot->config = std::move(config);
  return snapshot;
}

} // namespace gateway::server
