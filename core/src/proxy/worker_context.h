#pragma once

// Per-worker state shared by every client connection and request of one ProxyWorker: the
// dispatcher, the current configuration snapshot, the upstream keep-alive pool, the balancers of
// the current generation, the deferred deleter and the request-id counter. Lives on the worker's
// thread; nothing here is locked.

#include <cstdint>
#include <memory>
#include <unordered_map>

#include "gateway/event/dispatcher.h"
#include "gateway/plugin/runtime.h"
#include "gateway/proxy/worker.h"
#include "gateway/upstream/balancer.h"
#include "proxy/deferred_delete.h"
#include "proxy/upstream_pool.h"

namespace gateway::proxy {

// Balancers of one configuration generation, built lazily per Service on first use. Entries point
// into that generation's Config, which the cache keeps alive.
class BalancerCache {
public:
  struct Entry {
    const config::Upstream* upstream{nullptr};  // Null: the service names a host directly.
    // Null for a direct host. Shared with the requests that picked from it: a reload drops the
    // cache's reference while they may still report health to it.
    std::shared_ptr<upstream::Balancer> balancer;
  };
  // The entry for `service` under `snapshot`. When the snapshot is not the current generation (a
  // request that started before a reload), returns null: the caller builds a private balancer.
  Entry* find(const ConfigSnapshot& snapshot, const config::Service& service);
  // Makes `snapshot` the current generation; the old balancers are dropped lazily.
  void setSnapshot(ConfigSnapshotSharedPtr snapshot);
  static Entry build(const config::Config& config, const config::Service& service);

private:
  ConfigSnapshotSharedPtr snapshot_;
  std::unordered_map<const config::Service*, Entry> entries_;
};

struct WorkerContext {
  WorkerContext(event::Dispatcher& d, ConfigSnapshotSharedPtr s, plugin::WorkerPlugins* p,
                AccessLogSink& log);

  // Ids are unique per process: a worker index in the top 16 bits, a counter below.
  uint64_t nextRequestId() { return idBase + (++requestCounter); }
  const config::GatewaySettings& settings() const { return snapshot->config->gateway; }

  event::Dispatcher& dispatcher;
  ConfigSnapshotSharedPtr snapshot;       // Current; new requests start with it.
  plugin::WorkerPlugins* plugins;         // Borrowed; may be null.
  AccessLogSink& accessLog;               // Borrowed; outlives the worker.
  DeferredDeleter deleter;                // Declared before pool: the pool defers into it.
  UpstreamPool pool;
  BalancerCache balancers;
  uint64_t idBase{0};
  uint64_t requestCounter{0};
  bool draining{false};
};

} // namespace gateway::proxy
