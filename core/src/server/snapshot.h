#pragma once

// Builds the immutable per-generation snapshot the workers share: config, router, plugin plan.

#include <cstdint>

#include "gateway/plugin/runtime.h"
#include "gateway/proxy/worker.h"

namespace gateway::server {

// `plugins` is the plan the plugin runtime built for `config` (PluginManager::start/buildPlan);
// null or empty when no plugin is configured (the snapshot then carries null: the proxy skips
// plugins entirely).
proxy::ConfigSnapshotSharedPtr buildSnapshot(config::ConfigSharedPtr config, uint64_t generation,
                                             plugin::PluginPlanSharedPtr plugins);

} // namespace gateway::server
