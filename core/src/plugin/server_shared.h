#pragma once

// What the main thread (supervision) and the worker threads (event streams) share about one
// plugin server. The supervisor publishes a new generation each time the server became ready
// (handshake done, every live instance configured); workers read it under the mutex when they
// (re)open their streams. Counters are atomics.

#include <cstdint>
#include <mutex>
#include <string>

#include "gateway/config/model.h"
#include "plugin/counters.h"
#include "plugin/grpc_control.h"

namespace gateway::plugin {

struct ServerShared {
  size_t index{0};
  config::PluginServer config;
  ServerCounters counters;

  struct Snapshot {
    ChannelSharedPtr channel;
    uint64_t generation{0};
    bool ready{false};
  };
  Snapshot snapshot() const {
    std::lock_guard<std::mutex> lock(mu);
    return {channel, generation, ready};
  }
  void publish(ChannelSharedPtr ch, uint64_t gen, bool isReady) {
    std::lock_guard<std::mutex> lock(mu);
    channel = std::move(ch);
    generation = gen;
    ready = isReady;
  }

  mutable std::mutex mu;
  ChannelSharedPtr channel;   // Guarded by mu.
  uint64_t generation{0};     // Guarded by mu.
  bool ready{false};          // Guarded by mu.
};

} // namespace gateway::plugin
