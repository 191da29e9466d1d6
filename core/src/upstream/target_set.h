#pragma once

// The targets of one upstream balancer with their passive health, shared by the selection
// algorithms (smooth round-robin, rendezvous hashing). Owned by one Balancer; not thread-safe.
//
// Passive health: a target is tripped after `unhealthyFailures` consecutive failures and skipped
// until `unhealthyDuration` has passed; it then takes traffic again and needs another
// `unhealthyFailures` consecutive failures to trip. A success resets the failure count but does
// not end a trip early (successes of requests already in flight would make it flap).
// unhealthyFailures <= 0 disables passive health.

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include "gateway/config/model.h"
#include "gateway/upstream/balancer.h"

namespace gateway::upstream::detail {

using TimePoint = std::chrono::steady_clock::time_point;

struct TargetState {
  Endpoint endpoint;
  int weight{0};              // > 0.
  uint64_t hash{0};           // Stable hash of "host:port" (rendezvous hashing).
  int64_t currentWeight{0};   // Smooth weighted round-robin state.
  int consecutiveFailures{0};
  TimePoint unhealthyUntil{}; // Tripped while now < unhealthyUntil.
};

class TargetSet {
public:
  TargetSet(std::vector<TargetState> targets, config::PassiveHealth passive);

  // Targets of an Upstream: weight 0 dropped; a repeated host:port keeps its last weight.
  static TargetSet fromUpstream(const config::Upstream& upstream);

  size_t size() const { return targets_.size(); }
  TargetState& operator[](size_t i) { return targets_[i]; }
  const TargetState& operator[](size_t i) const { return targets_[i]; }

  // Healthy at `now` and not in `exclude`.
  bool eligible(size_t i, const std::vector<Endpoint>& exclude, TimePoint now) const;

  void reportSuccess(const Endpoint& target);
  void reportFailure(const Endpoint& target, TimePoint now);

private:
  std::optional<size_t> find(const Endpoint& target) const;

  std::vector<TargetState> targets_;
  config::PassiveHealth passive_;
};

// 64-bit FNV-1a followed by a splitmix64 finalizer: stable across processes and builds (unlike
// std::hash), so every worker and every restart maps a key to the same target.
uint64_t stableHash(std::string_view data);
uint64_t mix64(uint64_t x);

} // namespace gateway::upstream::detail
