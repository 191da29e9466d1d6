#pragma once

// What the main thread (supervision) and the worker threads (event streams) share about one
// plugin server. The supervisor publishes a new generation each time the server became ready
// (handshake done, every live instance configured); workers read it under the mutex when they
// (re)open their streams, each on a connection of its own to `address`. Counters are atomics.

#include <cstdint>
#include <mutex>
#include <string>

#include "gateway/config/model.h"
#include "plugin/counters.h"

namespace gateway::plugin {

struct ServerShared {
  size_t index{0};
  config::PluginServer config;
  ServerCounters counters;

  struct Snapshot {
    std::string address;  // "unix:/path" or "host:port"; empty while not ready.
    uint64_t generation{0};
    bool ready{false};
  };
  Snapshot snapshot() const {
    std::lock_guard<std::mutex> lock(mu);
    return {address, generation, ready};
  }
  void publish(std::string addr, uint64_t gen, bool isReady) {
    std::lock_guard<std::mutex> lock(mu);
    address = std::move(addr);
    generation = gen;
    ready = isReady;
  }

  mutable std::mutex mu;
  std::string address;        // Guarded by mu.
  uint64_t generation{0};     // Guarded by mu.
  bool ready{false};          // Guarded by mu.
};

} // namespace gateway::plugin
