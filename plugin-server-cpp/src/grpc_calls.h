#pragma once

// The plugin server's RPCs on gRPC's asynchronous API, all driven by one thread that runs the
// server's single CompletionQueue (runCompletionQueue). That thread does every read, parses every
// EventBatch and hands its phase calls to the worker pool in one go; replies are written by
// whichever thread has them ready (EventSession), and gRPC reports write completions back on the
// queue. So a busy Events stream costs about three thread wake-ups per EventBatch (this thread,
// a worker, the write completion), not several per event.
//
// GetInfo, Shutdown and grpc.health.v1.Health run on the queue's thread (they are cheap);
// Configure runs on the worker pool (it constructs plugins).

#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>

#include "event_session.h"
#include "gantry_pdk/server.h"
#include "gateway/plugin/v1/plugin_service.grpc.pb.h"

namespace gantry_pdk::detail {

// What the RPC handlers share; owned by Server::Impl, which outlives every call.
struct ServingState {
  ServingState(const ServerOptions& o, InstanceTable& t, WorkerPool& p, Activity& a)
      : options(o), table(t), pool(p), activity(a) {}

  const ServerOptions& options;
  InstanceTable& table;
  WorkerPool& pool;
  Activity& activity;
  pb::PluginServer::AsyncService service;
  grpc::AsyncGenericService generic;  // grpc.health.v1.Health (and unknown methods).
  std::unique_ptr<grpc::ServerCompletionQueue> cq;
  std::atomic<bool> serving{false};  // The health status.
  std::function<void(std::chrono::milliseconds)> onShutdownRpc;

  // Call objects alive (requested or running). The queue may be shut down only when none is
  // left: an operation started on a shut-down queue aborts the process.
  std::mutex liveMutex;
  std::condition_variable liveCv;
  int64_t live = 0;  // Guarded by liveMutex.
  void addLive(int delta) {
    std::lock_guard lock(liveMutex);
    live += delta;
    if (live == 0) {
      liveCv.notify_all();
    }
  }
  // After grpc::Server::Shutdown: waits until every call object is gone (or `deadline`).
  bool waitNoCalls(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(liveMutex);
    return liveCv.wait_until(lock, deadline, [&] { return live == 0; });
  }
};

// Counts one call object in ServingState::live for its lifetime.
class LiveCall {
public:
  explicit LiveCall(ServingState& s) : s_(s) { s_.addLive(1); }
  ~LiveCall() { s_.addLive(-1); }
  LiveCall(const LiveCall&) = delete;
  LiveCall& operator=(const LiveCall&) = delete;

private:
  ServingState& s_;
};

// Posts the first request for each RPC; each accepted call posts the next.
void acceptCalls(ServingState& state);
// Runs `cq` until it is shut down and drained.
void runCompletionQueue(grpc::ServerCompletionQueue& cq);

}  // namespace gantry_pdk::detail
