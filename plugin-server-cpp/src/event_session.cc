#include "event_session.h"

#include <utility>

#include "gantry_pdk/pdk.h"

namespace gantry_pdk::detail {

int64_t EventSession::EncodedReplies::results() const {
  int64_t n = 0;
  for (const Mark& m : marks) {
    n += m.result ? 1 : 0;
  }
  return n;
}

void Activity::add(int64_t delta) {
  if (delta == 0) {
    return;
  }
  std::lock_guard lock(mutex);
  outstanding += delta;
  if (outstanding == 0) {
    idle.notify_all();
  }
}

bool Activity::waitIdle(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mutex);
  return idle.wait_until(lock, deadline, [&] { return outstanding == 0; });
}

// One phase call in flight: its input, the Fetcher its handlers use (a
// Fetch reply, then a wait for the matching FetchResult) and its cancel flag. Owned by the
// session's call table until it finishes; holds the session (a cycle broken when it finishes).
class EventSession::Call : public Fetcher {
public:
  Call(std::shared_ptr<EventSession> session, uint64_t requestId, uint32_t seq,
       std::unique_ptr<PhaseCallInput> input)
      : input(std::move(input)), session(std::move(session)), requestId_(requestId), seq_(seq) {}

  uint64_t requestId() const { return requestId_; }
  uint32_t seq() const { return seq_; }

  FetchAnswer fetch(FetchRequest request) override {
    uint32_t id = 0;
    {
      std::lock_guard lock(mutex_);
      if (cancelled_) {
        throw Cancelled();
      }
      id = ++nextFetchId_;
      pending_[id];
    }
    session->activity_.fetches++;
    if (!session->queueFetch(*this, request, id)) {
      throw Cancelled();
    }
    session->pool_.blocking();  // Calls queued behind this one should not wait for the answer.
    std::unique_lock lock(mutex_);
    answered_.wait(lock, [&] { return cancelled_.load() || pending_[id].has_value(); });
    std::optional<FetchAnswer> answer = std::move(pending_[id]);
    pending_.erase(id);
    if (!answer) {
      throw Cancelled();
    }
    return std::move(*answer);
  }

  bool cancelled() const override { return cancelled_; }

  void deliver(uint32_t fetchId, FetchAnswer answer) {
    {
      std::lock_guard lock(mutex_);
      auto it = pending_.find(fetchId);
      if (it == pending_.end()) {
        return;  // Unknown or duplicate fetch id: ignored.
      }
      it->second = std::move(answer);
    }
    answered_.notify_all();
  }

  void cancel() {
    {
      std::lock_guard lock(mutex_);
      cancelled_ = true;
    }
    answered_.notify_all();
  }

  std::unique_ptr<PhaseCallInput> input;  // Consumed by the call's task only.
  const std::shared_ptr<EventSession> session;

private:
  const uint64_t requestId_;
  const uint32_t seq_;
  std::mutex mutex_;
  std::condition_variable answered_;
  std::atomic<bool> cancelled_{false};
  uint32_t nextFetchId_ = 0;                              // Guarded by mutex_.
  std::map<uint32_t, std::optional<FetchAnswer>> pending_;  // Guarded by mutex_.
};

EventSession::EventSession(const InstanceTable& table, WorkerPool& pool, Activity& activity,
                           ReplyWriter& writer)
    : table_(table), pool_(pool), activity_(activity), writer_(&writer) {}

EventSession::~EventSession() = default;

bool EventSession::onBatch(const pb::EventBatch& batch) {
  return onBatch(batch.SerializeAsString());
}

bool EventSession::onBatch(std::string_view bytes) {
  decoded_.clear();
  if (!decodeEventBatch(bytes, decoded_, &callInputs_)) {
    decoded_.clear();
    return false;
  }
  std::vector<std::function<void()>> tasks;
  tasks.reserve(decoded_.size());
  std::vector<std::pair<std::shared_ptr<Call>, DecodedEvent*>> others;  // Fetch results, cancels.
  {
    std::lock_guard lock(mutex_);
    for (DecodedEvent& event : decoded_) {
      const CallKey key{event.requestId, event.seq};
      if (event.kind == DecodedEvent::Kind::PhaseCall) {
        if (inputEnded_ || calls_.count(key) != 0) {
          continue;  // A duplicate (request_id, seq) is ignored; the first call answers.
        }
        auto call = std::make_shared<Call>(shared_from_this(), key.first, key.second,
                                           std::move(event.call));
        Call* raw = call.get();  // Alive while in calls_, which only runTask's call ends.
        calls_.emplace(key, std::move(call));
        tasks.push_back([raw] { runTask(raw); });  // Small enough for std::function's buffer.
      } else if (event.kind != DecodedEvent::Kind::None) {
        auto it = calls_.find(key);
        if (it != calls_.end()) {
          others.emplace_back(it->second, &event);
        }
      }
    }
    queuedCalls_ += tasks.size();
  }
  for (auto& [call, event] : others) {
    if (event->kind == DecodedEvent::Kind::FetchResult) {
      call->deliver(event->fetchId, std::move(*event->answer));
    } else {
      activity_.cancels++;
      call->cancel();
    }
  }
  if (!tasks.empty()) {
    activity_.phaseCalls += tasks.size();
    activity_.add(static_cast<int64_t>(tasks.size()));
    pool_.submitAll(tasks);
  }
  return true;
}

void EventSession::runTask(Call* call) {
  std::shared_ptr<Call> last = call->session->runCall(*call);
  // `last` (and with it maybe the session) goes here, outside the session's methods.
}

std::shared_ptr<EventSession::Call> EventSession::runCall(Call& call) {
  queuedCalls_--;
  PhaseOutput output;
  try {
    output = runPhase(table_, call.input->instanceIds, std::move(call.input->input), call);
    callInputs_.giveBack(std::move(call.input));  // runPhase worked on it in place.
  } catch (const std::exception& e) {  // Conversion failures (out of memory): fail the call.
    output.error = PhaseError{PhaseError::Kind::Handler, 0, e.what()};
  }
  return finishCall(call, std::move(output));
}

std::shared_ptr<EventSession::Call> EventSession::finishCall(Call& call, PhaseOutput output) {
  const bool answer = !output.cancelled && !call.cancelled();
  Next next;
  bool dropped = false;
  std::shared_ptr<Call> last;
  {
    std::lock_guard lock(mutex_);
    auto it = calls_.find(CallKey{call.requestId(), call.seq()});
    last = std::move(it->second);
    calls_.erase(it);
    if (answer && !broken_) {
      appendResultReply(call.requestId(), call.seq(), output, pending_.bytes);
      pending_.marks.push_back({pending_.bytes.size(), true});
    } else {
      dropped = true;
    }
    next = nextLocked(/*urgent=*/false);
  }
  if (dropped) {
    activity_.add(-1);  // No reply to write: the call is done.
  }
  act(next);
  return last;
}

bool EventSession::queueFetch(Call& call, const FetchRequest& request, uint32_t fetchId) {
  Next next;
  {
    std::lock_guard lock(mutex_);
    if (broken_ || writer_ == nullptr) {
      return false;
    }
    appendFetchReply(call.requestId(), call.seq(), request, fetchId, pending_.bytes);
    pending_.marks.push_back({pending_.bytes.size(), false});
    next = nextLocked(/*urgent=*/true);
  }
  act(next);
  return true;
}

EventSession::Next EventSession::nextLocked(bool urgent) {
  if (writer_ == nullptr || writing_) {
    return {};
  }
  if (broken_) {
    return {Next::Finish, std::exchange(writer_, nullptr)};
  }
  const size_t ready = pending_.marks.size();
  if (ready > 0 && (urgent || queuedCalls_ == 0)) {
    std::swap(inFlight_, pending_);  // pending_ is now the empty one.
    if (ready > kMaxRepliesPerBatch) {  // The rest goes in the next write.
      const size_t cut = inFlight_.marks[kMaxRepliesPerBatch - 1].end;
      pending_.bytes.assign(inFlight_.bytes, cut);
      for (size_t i = kMaxRepliesPerBatch; i < ready; ++i) {
        pending_.marks.push_back({inFlight_.marks[i].end - cut, inFlight_.marks[i].result});
      }
      inFlight_.bytes.resize(cut);
      inFlight_.marks.resize(kMaxRepliesPerBatch);
    }
    writing_ = true;
    return {Next::Write, writer_};
  }
  if (inputEnded_ && calls_.empty() && ready == 0) {
    return {Next::Finish, std::exchange(writer_, nullptr)};
  }
  return {};
}

void EventSession::act(Next next) {
  if (next.what == Next::Write) {
    next.writer->startWrite(inFlight_.bytes);  // Ours again at onWriteDone().
  } else if (next.what == Next::Finish) {
    next.writer->finish();
  }
}

void EventSession::onWriteDone(bool ok) {
  const int64_t done = inFlight_.results();
  if (ok) {
    activity_.replyBatches++;
    activity_.replies += inFlight_.marks.size();
  }
  inFlight_.clear();
  Next next;
  {
    std::lock_guard lock(mutex_);
    writing_ = false;
    if (!ok) {
      broken_ = true;
      dropPendingLocked();
    }
    next = nextLocked(/*urgent=*/true);
  }
  activity_.add(-done);
  act(next);
}

void EventSession::dropPendingLocked() {
  activity_.add(-pending_.results());
  pending_.clear();
}

size_t EventSession::runningCallsForTest() {
  std::lock_guard lock(mutex_);
  return calls_.size();
}

void EventSession::endOfInput() {
  Next next;
  {
    std::lock_guard lock(mutex_);
    inputEnded_ = true;
    next = nextLocked(/*urgent=*/true);
  }
  act(next);
}

void EventSession::abort() {
  std::vector<std::shared_ptr<Call>> running;
  Next next;
  {
    std::lock_guard lock(mutex_);
    inputEnded_ = true;
    broken_ = true;
    dropPendingLocked();
    for (auto& [key, call] : calls_) {
      running.push_back(call);
    }
    next = nextLocked(/*urgent=*/true);
  }
  for (auto& call : running) {
    call->cancel();
  }
  act(next);
}

}  // namespace gantry_pdk::detail
