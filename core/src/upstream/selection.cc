#include "upstream/selection.h"

#include <cmath>

namespace gateway::upstream::detail {

std::optional<size_t> pickSmoothRoundRobin(TargetSet& targets, const std::vector<Endpoint>& exclude,
                                           TimePoint now) {
  std::optional<size_t> best;
  int64_t total = 0;
  for (size_t i = 0; i < targets.size(); ++i) {
    if (!targets.eligible(i, exclude, now)) {
      continue;
    }
    TargetState& t = targets[i];
    t.currentWeight += t.weight;
    total += t.weight;
    if (!best || t.currentWeight > targets[*best].currentWeight) {
      best = i;
    }
  }
  if (best) {
    targets[*best].currentWeight -= total;
  }
  return best;
}

std::optional<size_t> pickRendezvous(const TargetSet& targets, uint64_t keyHash,
                                     const std::vector<Endpoint>& exclude, TimePoint now) {
  std::optional<size_t> best;
  double bestScore = 0;
  for (size_t i = 0; i < targets.size(); ++i) {
    if (!targets.eligible(i, exclude, now)) {
      continue;
    }
    const TargetState& t = targets[i];
    uint64_t h = mix64(keyHash ^ t.hash);
    // 53 random bits -> u in (0, 1); -ln(u) > 0.
    double u = (static_cast<double>(h >> 11) + 0.5) * 0x1.0p-53;
    double score = static_cast<double>(t.weight) / -std::log(u);
    if (!best || score > bestScore) {
      best = i;
      bestScore = score;
    }
  }
  return best;
}

} // namespace gateway::upstream::detail
