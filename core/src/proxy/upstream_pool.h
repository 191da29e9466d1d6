#pragma once

// The per-worker keep-alive pool of idle upstream connections, keyed by target (host:port).
// Reuse is LIFO (the most recently used connection is the warmest). A parked connection leaves the
// pool when it idles longer than the idle timeout, when the upstream closes it or sends anything,
// or when the pool for its target is full. Single-threaded; no locks.

#include <chrono>
#include <cstddef>
#include <unordered_map>
#include <vector>

#include "proxy/deferred_delete.h"
#include "proxy/upstream_connection.h"

namespace gateway::proxy {

struct EndpointHash {
  size_t operator()(const upstream::Endpoint& e) const noexcept {
    return std::hash<std::string>()(e.host) * 31 + e.port;
  }
};

class UpstreamPool : public IdleConnectionOwner {
public:
  UpstreamPool(DeferredDeleter& deleter, size_t maxIdlePerTarget, std::chrono::milliseconds idleTimeout)
      : deleter_(deleter), maxIdlePerTarget_(maxIdlePerTarget), idleTimeout_(idleTimeout) {}
  ~UpstreamPool() override;

  // An idle connection to `target`, or null. The caller becomes its user.
  UpstreamConnectionPtr acquire(const upstream::Endpoint& target);
  // Parks a connection after a complete exchange; closes it instead when it is not reusable or the
  // target's pool is full.
  void release(UpstreamConnectionPtr connection);
  // Closes a connection after its queued bytes are written (a finished tunnel); the pool keeps it
  // until the socket reports the close.
  void closeGracefully(UpstreamConnectionPtr connection);
  // Closes every idle connection (drain, shutdown).
  void closeAll();
  void setLimits(size_t maxIdlePerTarget, std::chrono::milliseconds idleTimeout) {
    maxIdlePerTarget_ = maxIdlePerTarget;
    idleTimeout_ = idleTimeout;
  }
  size_t idleCount() const;
  size_t idleCountForTest(const upstream::Endpoint& target) const;

  // IdleConnectionOwner: the upstream closed, sent data or the idle timer fired.
  void onIdleConnectionEvent(UpstreamConnection& connection) override;

private:
  DeferredDeleter& deleter_;
  size_t maxIdlePerTarget_;
  std::chrono::milliseconds idleTimeout_;
  std::unordered_map<upstream::Endpoint, std::vector<UpstreamConnectionPtr>, EndpointHash> idle_;
  std::vector<UpstreamConnectionPtr> closing_;
};

} // namespace gateway::proxy
