#include "event_session.h"

#include <iostream>

#include "gantry_pdk/pdk.h"

namespace gantry_pdk::detail {

void Activity::add(int64_t delta) {
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

// One phase call in flight: the Fetcher its handlers use (a Fetch reply, then a wait for the
// matching FetchResult) and its cancel flag.
class EventSession::Call : public Fetcher {
public:
  Call(EventSession& session, uint64_t requestId, uint32_t seq)
      : session_(session), requestId_(requestId), seq_(seq) {}

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
    pb::Reply reply;
    reply.set_request_id(requestId_);
    reply.set_seq(seq_);
    toProto(request, id, *reply.mutable_fetch());
    session_.activity_.fetches++;
    if (!session_.queueReply(std::move(reply))) {
      throw Cancelled();
    }
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

private:
  EventSession& session_;  // Outlives the call: the call's task holds the session.
  const uint64_t requestId_;
  const uint32_t seq_;
  std::mutex mutex_;
  std::condition_variable answered_;
  std::atomic<bool> cancelled_{false};
  uint32_t nextFetchId_ = 0;                              // Guarded by mutex_.
  std::map<uint32_t, std::optional<FetchAnswer>> pending_;  // Guarded by mutex_.
};

EventSession::EventSession(const InstanceTable& table, WorkerPool& pool, Activity& activity)
    : table_(table), pool_(pool), activity_(activity) {}

EventSession::~EventSession() = default;

void EventSession::onBatch(pb::EventBatch& batch) {
  for (pb::Event& event : *batch.mutable_events()) {
    const CallKey key{event.request_id(), event.seq()};
    switch (event.kind_case()) {
    case pb::Event::kPhaseCall: startCall(event); break;
    case pb::Event::kFetchResult: {
      std::shared_ptr<Call> call;
      {
        std::lock_guard lock(mutex_);
        auto it = calls_.find(key);
        if (it != calls_.end()) {
          call = it->second;
        }
      }
      if (call) {
        call->deliver(event.fetch_result().fetch_id(), fromProto(event.fetch_result()));
      }
      break;
    }
    case pb::Event::kCancel: {
      std::shared_ptr<Call> call;
      {
        std::lock_guard lock(mutex_);
        auto it = calls_.find(key);
        if (it != calls_.end()) {
          call = it->second;
        }
      }
      if (call) {
        activity_.cancels++;
        call->cancel();
      }
      break;
    }
    case pb::Event::KIND_NOT_SET: break;
    }
  }
}

void EventSession::startCall(pb::Event& event) {
  auto call = std::make_shared<Call>(*this, event.request_id(), event.seq());
  {
    std::lock_guard lock(mutex_);
    if (inputEnded_ || !calls_.emplace(CallKey{event.request_id(), event.seq()}, call).second) {
      return;  // A duplicate (request_id, seq) is ignored; the first call answers.
    }
  }
  activity_.phaseCalls++;
  activity_.add(1);
  auto phaseCall = std::make_shared<pb::PhaseCall>(std::move(*event.mutable_phase_call()));
  pool_.submit([self = shared_from_this(), call, phaseCall] {
    PhaseOutput output;
    try {
      std::vector<uint64_t> ids(phaseCall->instance_ids().begin(),
                                phaseCall->instance_ids().end());
      output = runPhase(self->table_, ids, fromProto(*phaseCall), *call);
    } catch (const std::exception& e) {  // Conversion failures (out of memory): fail the call.
      output.error = PhaseError{PhaseError::Kind::Handler, 0, e.what()};
    }
    self->finishCall(call, std::move(output));
  });
}

void EventSession::finishCall(const std::shared_ptr<Call>& call, PhaseOutput output) {
  // Queue the reply before the call leaves calls_: endOfInput() closes the queue only once
  // calls_ is empty, so a clean end never drops it.
  bool queued = false;
  if (!output.cancelled && !call->cancelled()) {
    pb::Reply reply;
    reply.set_request_id(call->requestId());
    reply.set_seq(call->seq());
    toProto(output, *reply.mutable_result());
    queued = queueReply(std::move(reply));
  }
  if (!queued) {
    activity_.add(-1);  // No reply to write: the call is done.
  }
  bool closeNow = false;
  {
    std::lock_guard lock(mutex_);
    calls_.erase(CallKey{call->requestId(), call->seq()});
    closeNow = inputEnded_ && calls_.empty();
  }
  if (closeNow) {
    queue_.close();
  }
}

size_t EventSession::runningCallsForTest() {
  std::lock_guard lock(mutex_);
  return calls_.size();
}

bool EventSession::queueReply(pb::Reply reply) { return queue_.push(std::move(reply)); }

void EventSession::endOfInput(bool broken) {
  std::vector<std::shared_ptr<Call>> running;
  bool closeNow = false;
  {
    std::lock_guard lock(mutex_);
    inputEnded_ = true;
    closeNow = broken || calls_.empty();
    if (broken) {
      for (auto& [key, call] : calls_) {
        running.push_back(call);
      }
    }
  }
  for (auto& call : running) {
    call->cancel();
  }
  if (closeNow) {
    queue_.close();
  }
}

void EventSession::runWriter(const std::function<bool(pb::ReplyBatch&)>& write) {
  bool broken = false;
  for (;;) {
    std::vector<pb::Reply> ready = queue_.popAll();
    if (ready.empty()) {
      return;  // Closed and drained.
    }
    for (size_t start = 0; start < ready.size(); start += kMaxRepliesPerBatch) {
      const size_t end = std::min(ready.size(), start + kMaxRepliesPerBatch);
      pb::ReplyBatch batch;
      batch.mutable_replies()->Reserve(static_cast<int>(end - start));
      int64_t results = 0;
      for (size_t i = start; i < end; ++i) {
        results += ready[i].has_result() ? 1 : 0;
        *batch.add_replies() = std::move(ready[i]);
      }
      if (!broken) {
        broken = !write(batch);
        if (!broken) {
          activity_.replyBatches++;
          activity_.replies += static_cast<uint64_t>(end - start);
        }
      }
      activity_.add(-results);
    }
  }
}

}  // namespace gantry_pdk::detail
