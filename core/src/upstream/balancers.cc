// The two Balancer implementations: one over an Upstream's targets, one over a single
// host:port.
//
// Algorithms (config::BalancerAlgorithm):
//   RoundRobin         smooth weighted round-robin (selection.h).
//   ConsistentHashing  weighted rendezvous hashing (selection.h) on the key chosen by hash_on:
//                      Ip -> clientIp, Header -> headerValue, Consumer -> consumerId. When that is
//                      empty, hash_fallback picks the key the same way (Header ->
//                      fallbackHeaderValue); when that is empty too, the pick is round-robin
//                      (as Kong does without a hash value).
//   LeastConnections   not supported yet: the Balancer interface does not see connections end.
//                      Mapped to RoundRobin.
// Health: passive only (target_set.h). When every target is unhealthy or excluded, pick()
// returns nullopt and the proxy answers 503, as Kong does ("failure to get a peer from the
// ring-balancer"); there is no fail-open to unhealthy targets.
//
// The single-target balancer has no health state (Kong keeps none for a service without an
// Upstream); it honours `exclude` like the others, so a proxy that wants Kong's "retry the same
// host" behaviour for such services must not list the endpoint in `exclude`.

#include <memory>
#include <string_view>

#include "upstream/selection.h"
#include "upstream/target_set.h"

namespace gateway::upstream {

namespace {

using detail::TargetSet;
using detail::TimePoint;

std::string_view hashKey(config::HashOn on, const HashInput& input, bool fallback) {
  switch (on) {
  case config::HashOn::Ip:
    return input.clientIp;
  case config::HashOn::Header:
    return fallback ? input.fallbackHeaderValue : input.headerValue;
  case config::HashOn::Consumer:
    return input.consumerId;
  case config::HashOn::None:
    break;
  }
  return {};
}

class UpstreamBalancer final : public Balancer {
public:
  explicit UpstreamBalancer(const config::Upstream& upstream)
      : targets_(TargetSet::fromUpstream(upstream)),
        hashing_(upstream.algorithm == config::BalancerAlgorithm::ConsistentHashing),
        hashOn_(upstream.hashOn), hashFallback_(upstream.hashFallback) {}

  std::optional<Endpoint> pick(const HashInput& input, const std::vector<Endpoint>& exclude,
                               TimePoint now) override {
    std::optional<size_t> chosen;
    if (hashing_) {
      std::string_view key = hashKey(hashOn_, input, false);
      if (key.empty()) {
        key = hashKey(hashFallback_, input, true);
      }
      if (!key.empty()) {
        chosen = detail::pickRendezvous(targets_, detail::stableHash(key), exclude, now);
        return chosen ? std::optional<Endpoint>(targets_[*chosen].endpoint) : std::nullopt;
      }
    }
    chosen = detail::pickSmoothRoundRobin(targets_, exclude, now);
    return chosen ? std::optional<Endpoint>(targets_[*chosen].endpoint) : std::nullopt;
  }

  void reportSuccess(const Endpoint& target) override { targets_.reportSuccess(target); }
  void reportFailure(const Endpoint& target, TimePoint now) override {
    targets_.reportFailure(target, now);
  }
  size_t targetCount() const override { return targets_.size(); }

private:
  TargetSet targets_;
  bool hashing_;
  config::HashOn hashOn_;
  config::HashOn hashFallback_;
};

class SingleTargetBalancer final : public Balancer {
public:
  explicit SingleTargetBalancer(Endpoint endpoint) : endpoint_(std::move(endpoint)) {}

  std::optional<Endpoint> pick(const HashInput&, const std::vector<Endpoint>& exclude,
                               TimePoint) override {
    for (const Endpoint& e : exclude) {
      if (e == endpoint_) {
        return std::nullopt;
      }
    }
    return endpoint_;
  }
  void reportSuccess(const Endpoint&) override {}
  void reportFailure(const Endpoint&, TimePoint) override {}
  size_t targetCount() const override { return 1; }

private:
  Endpoint endpoint_;
};

} // namespace

BalancerPtr createUpstreamBalancer(const config::Upstream& upstream) {
  return std::make_unique<UpstreamBalancer>(upstream);
}

BalancerPtr createSingleTargetBalancer(Endpoint endpoint) {
  return std::make_unique<SingleTargetBalancer>(std::move(endpoint));
}

} // namespace gateway::upstream
