#include "upstream/target_set.h"

#include <algorithm>

namespace gateway::upstream::detail {

uint64_t mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t stableHash(std::string_view data) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : data) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return mix64(h);
}

TargetSet::TargetSet(std::vector<TargetState> targets, config::PassiveHealth passive)
    : targets_(std::move(targets)), passive_(passive) {
  for (TargetState& t : targets_) {
    t.hash = stableHash(t.endpoint.toString());
  }
}

TargetSet TargetSet::fromUpstream(const config::Upstream& upstream) {
  std::vector<TargetState> targets;
  for (const config::Target& target : upstream.targets) {
    Endpoint endpoint{target.host, target.port};
    auto same = std::find_if(targets.begin(), targets.end(),
                             [&](const TargetState& t) { return t.endpoint == endpoint; });
    if (same != targets.end()) {
      targets.erase(same);
    }
    if (target.weight > 0) {
      TargetState state;
      state.endpoint = std::move(endpoint);
      state.weight = target.weight;
      targets.push_back(std::move(state));
    }
  }
  return TargetSet(std::move(targets), upstream.passive);
}

bool TargetSet::eligible(size_t i, const std::vector<Endpoint>& exclude, TimePoint now) const {
  const TargetState& t = targets_[i];
  if (now < t.unhealthyUntil) {
    return false;
  }
  return std::find(exclude.begin(), exclude.end(), t.endpoint) == exclude.end();
}

std::optional<size_t> TargetSet::find(const Endpoint& target) const {
  for (size_t i = 0; i < targets_.size(); ++i) {
    if (targets_[i].endpoint == target) {
      return i;
    }
  }
  return std::nullopt;
}

void TargetSet::reportSuccess(const Endpoint& target) {
  if (std::optional<size_t> i = find(target)) {
    targets_[*i].consecutiveFailures = 0;
  }
}

void TargetSet::reportFailure(const Endpoint& target, TimePoint now) {
  if (passive_.unhealthyFailures <= 0) {
    return;
  }
  std::optional<size_t> i = find(target);
  if (!i) {
    return;
  }
  TargetState& t = targets_[*i];
  if (now < t.unhealthyUntil) {
    return;  // Already tripped; late failures of in-flight requests do not extend the trip.
  }
  if (++t.consecutiveFailures >= passive_.unhealthyFailures) {
    t.consecutiveFailures = 0;
    t.unhealthyUntil = now + passive_.unhealthyDuration;
  }
}

} // namespace gateway::upstream::detail
