#pragma once

// One Events stream (PROTOCOL.md 3.4) without the gRPC plumbing: the reader hands each
// EventBatch to onBatch(); phase calls run on the worker pool; their replies (and Fetch requests)
// go through one BatchQueue to the single writer, runWriter(), which packs everything ready into
// one ReplyBatch per write.
//
// Threads: onBatch()/endOfInput() on the stream's reader thread; runWriter() on its writer
// thread; call tasks on worker threads. The session is shared by the stream handler and every
// call task still running (shared_ptr: a task may outlive a broken stream).
//
// Ends: endOfInput(false) after the core's WritesDone: calls in flight finish, their replies are
// written, then the writer returns. endOfInput(true) when the stream broke or was cancelled: every
// call is cancelled (blocked fetches throw Cancelled), nothing more is written.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>

#include "batch_queue.h"
#include "call_state.h"
#include "convert.h"
#include "instances.h"
#include "worker_pool.h"

namespace gantry_pdk::detail {

// Server-wide accounting shared by all sessions: outstanding calls (accepted, result not yet
// written or dropped) for graceful stop, and counters.
struct Activity {
  std::mutex mutex;
  std::condition_variable idle;
  int64_t outstanding = 0;  // Guarded by mutex.
  std::atomic<uint64_t> phaseCalls{0}, replies{0}, replyBatches{0}, fetches{0}, cancels{0};

  void add(int64_t delta);
  // Waits until no call is outstanding or `deadline` passes; true if idle.
  bool waitIdle(std::chrono::steady_clock::time_point deadline);
};

class EventSession : public std::enable_shared_from_this<EventSession> {
public:
  EventSession(const InstanceTable& table, WorkerPool& pool, Activity& activity);
  ~EventSession();

  void onBatch(pb::EventBatch& batch);
  void endOfInput(bool broken);
  // Writes batches with `write` until the session is done; `write` returns false when the stream
  // is broken (later batches are dropped).
  void runWriter(const std::function<bool(pb::ReplyBatch&)>& write);

  // Calls accepted whose reply is not queued yet (for tests).
  size_t runningCallsForTest();

  // Largest number of replies packed into one write (for tests).
  static constexpr size_t kMaxRepliesPerBatch = 512;

private:
  class Call;
  using CallKey = std::pair<uint64_t, uint32_t>;

  void startCall(pb::Event& event);
  void finishCall(const std::shared_ptr<Call>& call, PhaseOutput output);
  bool queueReply(pb::Reply reply);

  const InstanceTable& table_;  // Owned by the server; outlives every session.
  WorkerPool& pool_;            // Same.
  Activity& activity_;          // Same.
  BatchQueue<pb::Reply> queue_;
  std::mutex mutex_;
  std::map<CallKey, std::shared_ptr<Call>> calls_;  // Guarded by mutex_.
  bool inputEnded_ = false;                         // Guarded by mutex_.
};

}  // namespace gantry_pdk::detail
