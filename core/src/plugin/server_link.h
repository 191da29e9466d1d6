#pragma once

// One worker's connection to one plugin server: the Events stream, the send queue that batches
// events, and the table of phase calls waiting for replies. Worker thread only.
//
// Batching (plugin-rtt-costs.md): events are written into EventBatch messages (at most
// kMaxEventsPerBatch each): phase calls encoded by hand into a reused buffer, other events on a
// reused arena. A flush runs at the end of the loop iteration in which the first event was
// queued, so every event produced in one iteration (all
// the requests and replies one epoll wake-up delivered) shares a message, and with one request
// in flight nothing waits for anything but the loop. One write is in flight at a time; on the
// in-loop transport a write completes as soon as the socket took it, so only a slow server
// (flow control, a full socket) makes events queue behind it, to leave together.
// (An earlier version also held small flushes back while calls were in flight, to grow batches
// when each gRPC message cost several thread wake-ups; on the in-loop transport that only added
// latency: same CPU per request, slightly fewer requests per second.)
//
// Readiness: while the server is not ready (starting, restarting, reconfiguring) events stay
// queued; each call's timer then covers the server's start_timeout too. When the stream breaks,
// calls already written fail as Unavailable; queued ones wait for the next generation.

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "gateway/event/dispatcher.h"
#include "gateway/proxy/request_state.h"
#include "plugin/arena_message.h"
#include "plugin/deadline_queue.h"
#include "plugin/event_stream.h"
#include "plugin/plan.h"
#include "plugin/server_shared.h"

namespace gateway::plugin {

enum class CallFailure {
  Timeout,      // The deadline passed after the call was sent (504 fail-closed).
  Unavailable,  // Never sent in time, or the stream broke while it was in flight (500).
};

// Receives the outcome of one phase call. Called on the worker thread.
class CallHandler {
public:
  virtual ~CallHandler() = default;
  // A reply for this call: a Fetch (the call goes on) or the PhaseResult (the call is over
  // and forgotten before this runs). `reply` is valid only during the call.
  virtual void onReply(v1::Reply& reply) = 0;
  // The call is over without a result (it was forgotten before this runs).
  virtual void onCallFailed(CallFailure failure) = 0;
};

class ServerLink {
public:
  static constexpr int kMaxEventsPerBatch = 128;

  // `shared` outlives the link (owned by the manager); `onBroken(generation)` is called when a
  // stream of that generation broke (the worker forwards it to the supervisor).
  ServerLink(event::Dispatcher& dispatcher, ServerShared& shared,
             std::function<void(uint64_t)> onBroken);
  ~ServerLink();

  // Queues the PhaseCall event of (requestId, seq), encoded from `state` at once
  // (snapshot_encoder.h: the snapshot reflects the state now); a flush is scheduled. Log-phase
  // calls, which nobody waits for, are self-clocked: while none is in flight (written, not
  // answered) they leave at the end of the loop pass like any other event; while some are, new
  // ones collect in a batch of their own that leaves when the last of those is answered (or
  // failed), when it holds kMaxEventsPerBatch events, or with the next ordinary flush (the same
  // writev). So the server gets the next batch as soon as it is done with the previous one,
  // sized to how fast it works: one event per message when idle, tens under load, and never a
  // burst it must chew through while the gateway waits.
  void queuePhaseCall(uint64_t requestId, uint32_t seq, Phase phase,
                      const proxy::RequestState& state, const InstanceList& instances,
                      bool includeRequestBody);
  // The next other event (a FetchResult or Cancel) to fill, in the batch being collected; a
  // flush is scheduled. Valid until control returns to the loop or the next queue call. It
  // leaves after the phase calls of its batch (a Cancel follows the call it cancels).
  v1::Event& nextEvent();
  // Registers the phase call whose event was just filled: replies for (requestId, seq) go to
  // `handler` (borrowed until the call is over or cancelCall()). `timeout` is the phase
  // deadline; the server's start_timeout is added while the server is not ready. `logPhase`:
  // a log-phase call (self-clocked, see queuePhaseCall).
  void startCall(uint64_t requestId, uint32_t seq, std::chrono::milliseconds timeout,
                 CallHandler& handler, bool logPhase = false);
  // Forgets a call (no callback follows) and tells the server with a Cancel event.
  void cancelCall(uint64_t requestId, uint32_t seq);
  // Queues the collected log events and flushes (a worker's graceful stop).
  void flushLogs();
  // The supervisor published a new generation: (re)open the stream if needed.
  void onServerChanged();
  // Clean close: half-close the stream once the queue is empty.
  void close();
  size_t callsInFlightForTest() const { return calls_.size(); }

private:
  // One Events stream and its callbacks, tagged so the link knows which stream spoke: the
  // current one, or one retiring after the server's GOAWAY (it still answers the calls written
  // to it, is half-closed once they are all answered, and gets no new events).
  class Slot : public EventStreamCallbacks {
  public:
    Slot(ServerLink& link, uint64_t epoch) : link_(link), epoch(epoch) {}
    void onStreamReady() override { link_.onStreamReady(*this); }
    void onWriteDone(bool ok) override { link_.onWriteDone(*this, ok); }
    void onReplies(v1::ReplyBatch& batch) override { link_.onReplies(batch); }
    void onStreamClosed(const Status& status) override { link_.onStreamClosed(*this, status); }
    void onStreamGoingAway() override { link_.onStreamGoingAway(*this); }

    ServerLink& link_;
    const uint64_t epoch;
    size_t callsInFlight{0};  // Written calls not answered yet.
    bool halfClosed{false};
    EventStreamPtr stream;  // Last: destroyed first (it refers to *this).
  };

  void onStreamReady(Slot& slot);
  void onWriteDone(Slot& slot, bool ok);
  void onReplies(v1::ReplyBatch& batch);
  void onStreamClosed(Slot& slot, const Status& status);
  void onStreamGoingAway(Slot& slot);
  Slot* slotOf(uint64_t epoch);                  // current_ or a retiring one; null if gone.
  void retireWhenIdle(Slot& slot);               // Half-closes a retiring slot with no calls.
  void destroySlot(std::unique_ptr<Slot> slot);  // Deferred: never inside its callbacks.

  struct CallKey {
    uint64_t requestId;
    uint32_t seq;
    bool operator==(const CallKey&) const = default;
  };
  struct CallKeyHash {
    size_t operator()(const CallKey& k) const { return k.requestId * 31 + k.seq; }
  };
  // One EventBatch being collected or written, reused: the phase calls as encoded bytes (their
  // buffer keeps its capacity), the other events as messages on an arena with a reused first
  // block (arena_message.h). Once warm, collecting events costs no malloc.
  struct Batch {
    Batch() : other(kOtherBlockBytes) {}
    std::string phaseCalls;           // Encoded EventBatch.events entries.
    std::vector<CallKey> phaseCallKeys;  // Theirs, in order.
    ArenaMessage<v1::EventBatch> other;  // FetchResults and Cancels.
    int events() const { return static_cast<int>(phaseCallKeys.size()) + other->events_size(); }
    void reset() {
      if (phaseCalls.capacity() > kKeepBytes) {
        std::string().swap(phaseCalls);  // A batch of large bodies: do not keep its buffer.
      }
      phaseCalls.clear();
      phaseCallKeys.clear();
      other.reset();
    }
  };
  static constexpr size_t kOtherBlockBytes = 8 * 1024;
  static constexpr size_t kKeepBytes = 1024 * 1024;
  // The deadline entry: the phase timeout once written, the server's start_timeout before.
  struct Call : DeadlineQueue::Entry {
    CallKey key{};
    CallHandler* handler{nullptr};
    bool written{false};
    // Started while the server was not ready: the timer runs for the server's start_timeout
    // (then the call fails as Unavailable) and is re-armed with `timeout` once the event is
    // written.
    bool waitingForServer{false};
    bool logPhase{false};
    uint64_t epoch{0};  // The Slot it was written to.
    std::chrono::milliseconds timeout{0};
  };

  void scheduleFlush();
  void flush();
  void writeNext();  // Writes pending_.front(); writing_ must be empty.
  std::unique_ptr<Batch> takeBatch();  // From free_, or a new one.
  void queueLogBatch();                      // logBatch_ -> pending_ (if it has events).
  Batch& collecting();                       // The batch ordinary events go to (not full).
  void ensureStream();
  void onCallTimeout(Call& call);
  void takeCall(std::unordered_map<CallKey, Call, CallKeyHash>::iterator it);
  void forget(std::unordered_map<CallKey, Call, CallKeyHash>::iterator it);

  enum class StreamState { Idle, Opening, Open };

  event::Dispatcher& dispatcher_;
  ServerShared& shared_;
  std::function<void(uint64_t)> onBroken_;
  std::unique_ptr<Slot> current_;                  // The stream new events go to.
  std::vector<std::unique_ptr<Slot>> retiring_;    // After GOAWAY: answering, then closing.
  uint64_t nextEpoch_{1};
  // At most one stream is retired for GOAWAY per interval (no reconnect storm).
  static constexpr std::chrono::milliseconds kGoAwayInterval{1000};
  std::optional<event::MonotonicTime> lastGoAway_;
  StreamState streamState_{StreamState::Idle};
  uint64_t generation_{0};      // Generation of current_.
  uint64_t brokenGeneration_{0};// Generation whose stream broke: wait for a newer one.
  bool flushScheduled_{false};
  bool closing_{false};
  std::unique_ptr<Batch> writing_;               // In flight.
  std::unique_ptr<Batch> logBatch_;              // Log events not yet queued (or null).
  size_t logCallsInFlight_{0};  // Written log-phase calls not answered yet.
  std::deque<std::unique_ptr<Batch>> pending_;   // Collected, not yet written.
  std::vector<std::unique_ptr<Batch>> free_;     // Reset, for reuse.
  std::unordered_map<CallKey, Call, CallKeyHash> calls_;
  DeadlineQueue deadlines_;     // Of the calls in calls_ (declared after: destroyed first).
  std::shared_ptr<bool> alive_;  // For scheduled flushes and deferred stream destruction.
};

} // namespace gateway::plugin
