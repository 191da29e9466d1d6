#pragma once

// The plugin server's RPCs on gRPC's asynchronous API, all on the server's single
// CompletionQueue, which the worker pool's leader thread polls (pollCompletionQueue; see
// worker_pool.h). The poller does every read and hands each EventBatch's phase calls to the pool
// in one go, and then usually runs them itself; replies are written by whichever thread has them
// ready (EventSession), and gRPC reports write completions back on the queue.
//
// GetInfo, Shutdown and grpc.health.v1.Health run in the poll (they are cheap); Configure runs as
// a pool task (it constructs plugins; a slow constructor is rescued like a slow handler).

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
  // Events is a raw method (ByteBuffer both ways): EventSession decodes and encodes its messages.
  pb::PluginServer::WithRawMethod_Events<pb::PluginServer::AsyncService> service;
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
// Waits for the next event of `cq` and handles it; false once the queue is shut down and drained.
bool pollCompletionQueue(grpc::ServerCompletionQueue& cq);

}  // namespace gantry_pdk::detail
