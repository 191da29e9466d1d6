#pragma once

// Builds the immutable per-generation snapshot the workers share: config, router, plugin plan.

#include <cstdint>

#include "gateway/proxy/worker.h"

namespace gateway::server {

proxy::ConfigSnapshotSharedPtr buildSnapshot(config::ConfigSharedPtr config, uint64_t generation);

} // namespace gateway::server
