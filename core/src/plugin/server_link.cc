#include "plugin/server_link.h"

namespace gateway::plugin {

ServerLink::ServerLink(event::Dispatcher& dispatcher, ServerShared& shared,
                       std::function<void(uint64_t)> onBroken)
    : dispatcher_(dispatcher), shared_(shared), onBroken_(std::move(onBroken)),
      alive_(std::make_shared<bool>(true)) {}

ServerLink::~ServerLink() {
  *alive_ = false;
  calls_.clear();
  stream_.reset();
}

v1::Event& ServerLink::nextEvent() {
  if (pending_.empty() || pending_.back()->events_size() >= kMaxEventsPerBatch) {
    if (free_.empty()) {
      pending_.push_back(std::make_unique<v1::EventBatch>());
    } else {
      pending_.push_back(std::move(free_.back()));
      free_.pop_back();
    }
  }
  v1::Event* event = pending_.back()->add_events();
  scheduleFlush();
  return *event;
}

void ServerLink::startCall(uint64_t requestId, uint32_t seq, std::chrono::milliseconds timeout,
                           CallHandler& handler) {
  const CallKey key{requestId, seq};
  Call call;
  call.handler = &handler;
  call.timeout = timeout;
  // A server that is not ready is waited for up to its start_timeout (PROTOCOL.md 3.2/3.5);
  // the phase timeout starts when the event is written.
  call.waitingForServer = streamState_ != StreamState::Open && !shared_.snapshot().ready;
  call.timer = dispatcher_.createTimer([this, key] { onCallTimeout(key); });
  call.timer->enable(call.waitingForServer ? shared_.config.startTimeout : timeout);
  calls_[key] = std::move(call);
  bump(shared_.counters.phaseCalls);
}

void ServerLink::cancelCall(uint64_t requestId, uint32_t seq) {
  auto it = calls_.find(CallKey{requestId, seq});
  if (it == calls_.end()) {
    return;
  }
  calls_.erase(it);
  v1::Event& e = nextEvent();
  e.set_request_id(requestId);
  e.set_seq(seq);
  e.mutable_cancel();
}

void ServerLink::onCallTimeout(CallKey key) {
  auto it = calls_.find(key);
  if (it == calls_.end()) {
    return;
  }
  CallHandler* handler = it->second.handler;
  const bool written = it->second.written;
  // The timer is running this callback: keep it alive until we return.
  event::TimerPtr timer = std::move(it->second.timer);
  calls_.erase(it);
  v1::Event& e = nextEvent();
  e.set_request_id(key.requestId);
  e.set_seq(key.seq);
  e.mutable_cancel();
  if (written) {
    bump(shared_.counters.timeouts);
  }
  handler->onCallFailed(written ? CallFailure::Timeout : CallFailure::Unavailable);
  dispatcher_.post([holder = std::make_shared<event::TimerPtr>(std::move(timer))] {});
}

void ServerLink::scheduleFlush() {
  if (flushScheduled_) {
    return;
  }
  flushScheduled_ = true;
  dispatcher_.scheduleEndOfIteration([this, alive = alive_] {
    if (*alive) {
      flushScheduled_ = false;
      flush();
    }
  });
}

void ServerLink::flush() {
  if (streamState_ != StreamState::Open) {
    ensureStream();
    return;
  }
  if (writing_ != nullptr) {
    return;  // onWriteDone flushes again.
  }
  if (pending_.empty()) {
    if (closing_) {
      stream_->writesDone();
    }
    return;
  }
  writing_ = std::move(pending_.front());
  pending_.pop_front();
  for (const auto& e : writing_->events()) {
    if (e.has_phase_call()) {
      auto it = calls_.find(CallKey{e.request_id(), e.seq()});
      if (it != calls_.end()) {
        it->second.written = true;
        if (it->second.waitingForServer) {
          it->second.waitingForServer = false;
          it->second.timer->enable(it->second.timeout);
        }
      }
    }
  }
  bump(shared_.counters.eventsSent, writing_->events_size());
  bump(shared_.counters.batchesSent);
  stream_->write(*writing_);
}

void ServerLink::onWriteDone(bool ok) {
  if (writing_ != nullptr) {
    writing_->Clear();
    free_.push_back(std::move(writing_));
  }
  if (ok) {
    flush();
  }
}

void ServerLink::onReplies(v1::ReplyBatch& batch) {
  bump(shared_.counters.batchesReceived);
  bump(shared_.counters.repliesReceived, batch.replies_size());
  for (auto& reply : *batch.mutable_replies()) {
    auto it = calls_.find(CallKey{reply.request_id(), reply.seq()});
    if (it == calls_.end()) {
      continue;  // Late reply of a cancelled or timed-out call.
    }
    CallHandler* handler = it->second.handler;
    if (reply.has_fetch()) {
      bump(shared_.counters.fetches);
      handler->onReply(reply);
      continue;
    }
    calls_.erase(it);
    handler->onReply(reply);
  }
}

void ServerLink::onStreamClosed(const Status& status) {
  streamState_ = StreamState::Idle;
  dispatcher_.post([holder = std::make_shared<EventStreamPtr>(std::move(stream_))] {});
  if (writing_ != nullptr) {
    writing_->Clear();
    free_.push_back(std::move(writing_));
  }
  std::vector<CallKey> failed;
  for (const auto& [key, call] : calls_) {
    if (call.written) {
      failed.push_back(key);
    }
  }
  for (const auto& key : failed) {
    auto it = calls_.find(key);
    if (it == calls_.end()) {
      continue;  // Cancelled by an earlier handler.
    }
    CallHandler* handler = it->second.handler;
    calls_.erase(it);
    handler->onCallFailed(CallFailure::Unavailable);
  }
  if (closing_) {
    return;
  }
  brokenGeneration_ = generation_;
  onBroken_(generation_);
  ensureStream();
}

void ServerLink::onStreamReady() {
  streamState_ = StreamState::Open;
  flush();
}

void ServerLink::ensureStream() {
  if (streamState_ != StreamState::Idle || closing_) {
    return;
  }
  auto snap = shared_.snapshot();
  if (!snap.ready || snap.channel == nullptr || snap.generation == brokenGeneration_) {
    return;  // onServerChanged() comes when the supervisor publishes a new generation.
  }
  generation_ = snap.generation;
  streamState_ = StreamState::Opening;
  stream_ = openEventStream(dispatcher_, snap.channel, *this);
}

void ServerLink::onServerChanged() {
  ensureStream();
}

void ServerLink::close() {
  closing_ = true;
  if (streamState_ == StreamState::Open) {
    flush();
  }
}

} // namespace gateway::plugin
