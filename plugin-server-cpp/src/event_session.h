#pragma once

// One Events stream (PROTOCOL.md 3.4) without the gRPC plumbing. The reader hands the bytes of
// each EventBatch to onBatch(), which decodes them and queues the phase calls on the worker pool in
// one go; replies (and Fetch requests) collect in a pending ReplyBatch, and at most one write is in
// flight: the thread that finds replies pending and no write in flight starts the next one
// (ReplyWriter), packing everything pending. No thread exists for writing and nobody is woken per reply.
//
// When a reply goes out: a Fetch at once (its handler waits for the answer); a PhaseResult when no
// call of this session is still queued behind it on the pool (so a batch of calls run one after
// another goes back in one write) or when the previous write completes.
//
// Threads: onBatch()/endOfInput()/abort()/onWriteDone() on the polling thread; call tasks on pool
// threads (often the same one, after the poll). The session is shared by the stream and every
// call not finished yet (shared_ptr: a call may outlive a broken stream).
//
// Ends: endOfInput() after the core's WritesDone: calls in flight finish, their replies are
// written, then ReplyWriter::finish(). abort() when the stream broke or was cancelled: every call
// is cancelled (blocked fetches throw Cancelled), nothing more is written, and finish() comes as
// soon as no write is in flight.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <map>
#include <unordered_map>
#include <vector>

#include "call_state.h"
#include "convert.h"
#include "event_decoder.h"
#include "instances.h"
#include "reply_encoder.h"
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

// The stream's write side. Both calls come from any thread, never with a session lock held.
class ReplyWriter {
public:
  virtual ~ReplyWriter() = default;
  // Starts writing the ReplyBatch whose bytes are `batch`. The writer may take them, swapping in
  // another (empty) buffer; else they stay untouched until EventSession::onWriteDone(). At most
  // one write is in flight.
  virtual void startWrite(std::string& batch) = 0;
  // Ends the stream (after the last write completed); called exactly once. The session never
  // touches the writer afterwards.
  virtual void finish() = 0;
};

class EventSession : public std::enable_shared_from_this<EventSession> {
public:
  // `writer` must stay valid until its finish() is called.
  EventSession(const InstanceTable& table, WorkerPool& pool, Activity& activity,
               ReplyWriter& writer);
  ~EventSession();

  // Decodes the EventBatch in `bytes` (see event_decoder.h) and queues its calls; false if it is
  // not a valid EventBatch (nothing of it is acted on).
  bool onBatch(std::string_view bytes);
  bool onBatch(const pb::EventBatch& batch);  // Serializes and decodes (tests).
  void endOfInput();
  void abort();
  // The write started by ReplyWriter::startWrite completed; `ok` false: the stream is broken
  // (later replies are dropped).
  void onWriteDone(bool ok);

  // Calls accepted whose reply is not queued yet (for tests).
  size_t runningCallsForTest();

  // Largest number of replies packed into one write.
  static constexpr size_t kMaxRepliesPerBatch = 512;

private:
  class Call;
  struct CallKeyHash {
    size_t operator()(const std::pair<uint64_t, uint32_t>& k) const {
      return std::hash<uint64_t>()(k.first * 31 + k.second);
    }
  };
  using CallKey = std::pair<uint64_t, uint32_t>;

  // The task of one call; returns the call's last reference (dropped by the caller, outside the
  // session's methods: the call holds the session).
  static void runTask(Call* call);
  std::shared_ptr<Call> runCall(Call& call);
  std::shared_ptr<Call> finishCall(Call& call, PhaseOutput output);
  // Queues a Fetch reply and writes it as soon as possible; false when nothing more is written.
  bool queueFetch(Call& call, const FetchRequest& request, uint32_t fetchId);
  std::vector<DecodedEvent> decoded_;  // onBatch's scratch (the reading thread's only).
  PhaseCallPool callInputs_;           // Decoded into, given back when a call ran.
  // Under mutex_: what to do once the lock is released (a write of inFlight_, or the end).
  struct Next {
    enum What { Nothing, Write, Finish } what = Nothing;
    ReplyWriter* writer = nullptr;
  };
  Next nextLocked(bool urgent);
  void act(Next next);
  void dropPendingLocked();

  const InstanceTable& table_;  // Owned by the server; outlives every session.
  WorkerPool& pool_;            // Same.
  Activity& activity_;          // Same.

  std::mutex mutex_;
  ReplyWriter* writer_;  // Guarded by mutex_; null once finish() was called.
  std::unordered_map<CallKey, std::shared_ptr<Call>, CallKeyHash> calls_;  // Guarded by mutex_.
  std::atomic<size_t> queuedCalls_{0};  // Calls on the pool not started yet.
  // Replies encoded (reply_encoder.h) as the bytes of a ReplyBatch, and where each ends.
  struct EncodedReplies {
    struct Mark {
      size_t end;   // Offset in `bytes` just past the reply.
      bool result;  // A PhaseResult (a call still counted in Activity), not a Fetch.
    };
    std::string bytes;  // Cleared, not shrunk (or swapped for a recycled one by the writer).
    std::vector<Mark> marks;
    int64_t results() const;
    void clear() {
      bytes.clear();
      marks.clear();
    }
  };
  EncodedReplies pending_;   // Replies not written yet. Guarded by mutex_.
  EncodedReplies inFlight_;  // The write in flight.
  bool writing_ = false;      // A write is in flight. Guarded by mutex_.
  bool inputEnded_ = false;   // Guarded by mutex_.
  bool broken_ = false;       // Aborted or a write failed: nothing more is written. Guarded by mutex_.
};

}  // namespace gantry_pdk::detail
