#include "proxy/worker_context.h"

#include <atomic>

namespace gateway::proxy {

namespace {
std::atomic<uint64_t> gWorkerIndex{0};
} // namespace

BalancerCache::Entry* BalancerCache::find(const ConfigSnapshot& snapshot,
                                          const config::Service& service) {
  if (snapshot_.get() != &snapshot) {
    return nullptr;
  }
  auto it = entries_.find(&service);
  if (it != entries_.end()) {
    return &it->second;
  }
  auto [inserted, ok] = entries_.emplace(&service, build(*snapshot.config, service));
  return &inserted->second;
}

void BalancerCache::setSnapshot(ConfigSnapshotSharedPtr snapshot) {
  if (snapshot_ && snapshot && snapshot_->generation == snapshot->generation &&
      snapshot_->config == snapshot->config) {
    return;
  }
  // TODO(proxy): carry passive-health state across generations (the Balancer interface has no way
  // to export it yet).
  entries_.clear();
  snapshot_ = std::move(snapshot);
}

BalancerCache::Entry BalancerCache::build(const config::Config& config,
                                          const config::Service& service) {
  Entry entry;
  entry.upstream = config.findUpstream(service.host);
  if (entry.upstream != nullptr) {
    entry.balancer = upstream::createUpstreamBalancer(*entry.upstream);
  }
  return entry;
}

WorkerContext::WorkerContext(event::Dispatcher& d, ConfigSnapshotSharedPtr s,
                             plugin::WorkerPlugins* p, AccessLogSink& log)
    : dispatcher(d), snapshot(std::move(s)), plugins(p), accessLog(log), deleter(d),
      pool(deleter, snapshot->config->gateway.limits.upstreamKeepalivePoolSize,
           snapshot->config->gateway.limits.upstreamKeepaliveIdleTimeout) {
  idBase = (gWorkerIndex.fetch_add(1) & 0xffff) << 48;
  balancers.setSnapshot(snapshot);
}

} // namespace gateway::proxy
