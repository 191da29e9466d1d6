#pragma once

// Runtime counters (relaxed atomics: written on worker and main threads, read by countersJson()
// from any thread). countersJson() layout:
//   {"requests_with_plugins": N, "phase_calls": N, "fetches": N, "round_trips_per_request": X,
//    "timeouts": N, "failures": N, "rejected_mutations": N, "instances": N,
//    "servers": {"<name>": {"ready": bool, "generation": N, "restarts": N, "events_sent": N,
//                 "batches_sent": N, "batches_received": N, "replies_received": N,
//                 "phase_calls": N, "fetches": N, "timeouts": N, "failures": N,
//                 "rejected_mutations": N, "instances": N}}}
// round_trips_per_request = (phase_calls + fetches) / requests_with_plugins: the number of
// gateway<->plugin-server round trips an average request with plugins costs.

#include <atomic>
#include <cstdint>
#include <string>

namespace gateway::plugin {

using Counter = std::atomic<uint64_t>;

inline void bump(Counter& c, uint64_t n = 1) { c.fetch_add(n, std::memory_order_relaxed); }
inline uint64_t read(const Counter& c) { return c.load(std::memory_order_relaxed); }

struct ServerCounters {
  Counter eventsSent{0};
  Counter batchesSent{0};
  Counter batchesReceived{0};
  Counter repliesReceived{0};
  Counter phaseCalls{0};
  Counter fetches{0};
  Counter timeouts{0};
  Counter failures{0};        // Handler errors, unavailability and failed restarts.
  Counter rejectedMutations{0};
  Counter restarts{0};
  Counter instances{0};       // Live instances configured on the server.
};

struct RuntimeCounters {
  Counter requestsWithPlugins{0};
  Counter phaseCalls{0};
  Counter fetches{0};
  Counter timeouts{0};
  Counter failures{0};
  Counter rejectedMutations{0};
};

} // namespace gateway::plugin
