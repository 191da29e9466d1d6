#pragma once

// Choosing an upstream target for a service: directly its host:port, or a weighted target of the
// Upstream its host names (round-robin, or consistent hashing on a header or the client IP), with
// passive health (targets that fail repeatedly are skipped for a while).
//
// One Balancer per worker per Upstream: not thread-safe, no locks on the data path. Built from
// the Config and replaced on reload (health state is per Balancer).

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/config/model.h"

namespace gateway::upstream {

struct Endpoint {
  std::string host;  // Hostname or IP literal.
  uint16_t port{0};
  bool operator==(const Endpoint&) const = default;
  std::string toString() const { return host + ":" + std::to_string(port); }
};

// What the hash algorithms may hash on, for one request.
struct HashInput {
  std::string_view clientIp;
  std::string_view headerValue;   // Value of the upstream's hash_on_header, if present.
  std::string_view fallbackHeaderValue;
  std::string_view consumerId;
};

class Balancer {
public:
  virtual ~Balancer() = default;
  // Picks a target, skipping those in `exclude` (already tried for this request) and those
  // currently unhealthy; nullopt if none is left. `now` comes from the worker's clock.
  virtual std::optional<Endpoint> pick(const HashInput& input, const std::vector<Endpoint>& exclude,
                                       std::chrono::steady_clock::time_point now) = 0;
  // Passive health reports from the proxy.
  virtual void reportSuccess(const Endpoint& target) = 0;
  virtual void reportFailure(const Endpoint& target, std::chrono::steady_clock::time_point now) = 0;
  // Number of distinct targets (for the retry bound).
  virtual size_t targetCount() const = 0;
};

using BalancerPtr = std::unique_ptr<Balancer>;

// A balancer over an Upstream's targets.
BalancerPtr createUpstreamBalancer(const config::Upstream& upstream);
// A balancer over a single host:port (a service that names no Upstream).
BalancerPtr createSingleTargetBalancer(Endpoint endpoint);

} // namespace gateway::upstream
