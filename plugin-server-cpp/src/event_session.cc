#include "event_session.h"

#include <utility>

#include "gantry_pdk/pdk.h"

namespace gantry_pdk::detail {
namespace {

// PhaseResults in `batch` (each is one call still counted in Activity until written or dropped).
int64_t countResults(const pb::ReplyBatch& batch) {
  int64_t results = 0;
  for (const pb::Reply& r : batch.replies()) {
    results += r.has_result() ? 1 : 0;
  }
  return results;
}

}  // namespace

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

std::shared_ptr<ReceivedBatch> BatchPool::acquire() {
  std::unique_ptr<ReceivedBatch> batch;
  {
    std::lock_guard lock(mutex_);
    if (!free_.empty()) {
      batch = std::move(free_.back());
      free_.pop_back();
    }
  }
  if (batch) {
    batch->reset();
  } else {
    batch = std::make_unique<ReceivedBatch>();
  }
  return {batch.release(), [pool = shared_from_this()](ReceivedBatch* b) { pool->release(b); }};
}

void BatchPool::release(ReceivedBatch* batch) {
  std::unique_ptr<ReceivedBatch> owned(batch);
  std::lock_guard lock(mutex_);
  if (free_.size() < kKeep) {
    free_.push_back(std::move(owned));
  }
}

// One phase call in flight: its input (in its received batch), the Fetcher its handlers use (a
// Fetch reply, then a wait for the matching FetchResult) and its cancel flag. Owned by the
// session's call table until it finishes; holds the session (a cycle broken when it finishes).
class EventSession::Call : public Fetcher {
public:
  Call(std::shared_ptr<EventSession> session, uint64_t requestId, uint32_t seq,
       std::shared_ptr<ReceivedBatch> batch, const pb::PhaseCall& input)
      : input(input), batch_(std::move(batch)), session(std::move(session)),
        requestId_(requestId), seq_(seq) {}

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

  const pb::PhaseCall& input;  // In batch_; read by the call's task only.

private:
  const std::shared_ptr<ReceivedBatch> batch_;

public:
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

void EventSession::onBatch(pb::EventBatch& batch) {
  auto received = std::make_shared<ReceivedBatch>();
  received->batch->CopyFrom(batch);
  onBatch(std::move(received));
}

void EventSession::onBatch(std::shared_ptr<ReceivedBatch> received) {
  std::vector<std::function<void()>> tasks;
  std::vector<std::pair<std::shared_ptr<Call>, const pb::Event*>> others;  // Fetch results, cancels.
  {
    std::lock_guard lock(mutex_);
    for (const pb::Event& event : received->batch->events()) {
      const CallKey key{event.request_id(), event.seq()};
      if (event.kind_case() == pb::Event::kPhaseCall) {
        if (inputEnded_ || calls_.count(key) != 0) {
          continue;  // A duplicate (request_id, seq) is ignored; the first call answers.
        }
        auto call = std::make_shared<Call>(shared_from_this(), key.first, key.second, received,
                                           event.phase_call());
        Call* raw = call.get();  // Alive while in calls_, which only runTask's call ends.
        calls_.emplace(key, std::move(call));
        tasks.push_back([raw] { runTask(raw); });  // Small enough for std::function's buffer.
      } else if (event.kind_case() != pb::Event::KIND_NOT_SET) {
        auto it = calls_.find(key);
        if (it != calls_.end()) {
          others.emplace_back(it->second, &event);
        }
      }
    }
    queuedCalls_ += tasks.size();
  }
  for (auto& [call, event] : others) {
    if (event->kind_case() == pb::Event::kFetchResult) {
      call->deliver(event->fetch_result().fetch_id(), fromProto(event->fetch_result()));
    } else if (event->kind_case() == pb::Event::kCancel) {
      activity_.cancels++;
      call->cancel();
    }
  }
  if (!tasks.empty()) {
    activity_.phaseCalls += tasks.size();
    activity_.add(static_cast<int64_t>(tasks.size()));
    pool_.submitAll(tasks);
  }
}

void EventSession::runTask(Call* call) {
  std::shared_ptr<Call> last = call->session->runCall(*call);
  // `last` (and with it maybe the session) goes here, outside the session's methods.
}

std::shared_ptr<EventSession::Call> EventSession::runCall(Call& call) {
  queuedCalls_--;
  PhaseOutput output;
  try {
    std::vector<uint64_t> ids(call.input.instance_ids().begin(), call.input.instance_ids().end());
    output = runPhase(table_, ids, fromProto(call.input), call);
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
      pb::Reply* reply = pending_->message().add_replies();
      reply->set_request_id(call.requestId());
      reply->set_seq(call.seq());
      toProto(output, *reply->mutable_result());
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
    pb::Reply* reply = pending_->message().add_replies();
    reply->set_request_id(call.requestId());
    reply->set_seq(call.seq());
    toProto(request, fetchId, *reply->mutable_fetch());
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
  const int ready = pending_->message().replies_size();
  if (ready > 0 && (urgent || queuedCalls_ == 0)) {
    std::swap(inFlight_, pending_);  // pending_ is now the empty one (reset when its write ended).
    if (ready > kMaxRepliesPerBatch) {  // The rest goes in the next write.
      auto* all = inFlight_->message().mutable_replies();
      for (int i = kMaxRepliesPerBatch; i < ready; ++i) {
        pending_->message().add_replies()->Swap(all->Mutable(i));
      }
      all->DeleteSubrange(kMaxRepliesPerBatch, ready - kMaxRepliesPerBatch);
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
    next.writer->startWrite(inFlight_->message());  // Ours until onWriteDone().
  } else if (next.what == Next::Finish) {
    next.writer->finish();
  }
}

void EventSession::onWriteDone(bool ok) {
  const int64_t done = countResults(inFlight_->message());
  if (ok) {
    activity_.replyBatches++;
    activity_.replies += static_cast<uint64_t>(inFlight_->message().replies_size());
  }
  inFlight_->reset();
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
  activity_.add(-countResults(pending_->message()));
  pending_->reset();
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
