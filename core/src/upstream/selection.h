#pragma once

// Target selection over a TargetSet. Both skip targets that are not eligible (unhealthy or
// excluded) and return nullopt when none is left.

#include <cstdint>
#include <optional>
#include <vector>

#include "upstream/target_set.h"

namespace gateway::upstream::detail {

// Smooth weighted round-robin (nginx's algorithm): each eligible target gains its weight, the
// largest total wins and pays back the sum. Over any window of sum(weights) picks each target is
// chosen exactly `weight` times, interleaved rather than in bursts. Mutates the round-robin state.
std::optional<size_t> pickSmoothRoundRobin(TargetSet& targets, const std::vector<Endpoint>& exclude,
                                           TimePoint now);

// Weighted rendezvous (highest-random-weight) hashing: every target scores
// weight / -ln(u(key, target)) with u uniform in (0,1) derived from the key and the target's
// stable hash; the highest eligible score wins. Properties: the same key picks the same target;
// a key moves only when its target leaves (or a new target outscores it), so removing one
// target moves only that target's keys; shares are exactly proportional to weight; when the
// best target is excluded or unhealthy the key falls to its second-best target, consistently.
// O(targets) per pick, no tables.
std::optional<size_t> pickRendezvous(const TargetSet& targets, uint64_t keyHash,
                                     const std::vector<Endpoint>& exclude, TimePoint now);

} // namespace gateway::upstream::detail
