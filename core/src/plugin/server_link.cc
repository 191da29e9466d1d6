#include "plugin/server_link.h"

#include "plugin/snapshot_encoder.h"

namespace gateway::plugin {

ServerLink::ServerLink(event::Dispatcher& dispatcher, ServerShared& shared,
                       std::function<void(uint64_t)> onBroken)
    : dispatcher_(dispatcher), shared_(shared), onBroken_(std::move(onBroken)),
      deadlines_(dispatcher,
                 [this](DeadlineQueue::Entry& e) { onCallTimeout(static_cast<Call&>(e)); }),
      alive_(std::make_shared<bool>(true)) {}

ServerLink::~ServerLink() {
  *alive_ = false;
  calls_.clear();
  stream_.reset();
}

std::unique_ptr<ServerLink::Batch> ServerLink::takeBatch() {
  if (free_.empty()) {
    return std::make_unique<Batch>();
  }
  auto batch = std::move(free_.back());
  free_.pop_back();
  return batch;
}

ServerLink::Batch& ServerLink::collecting() {
  if (pending_.empty() || pending_.back()->events() >= kMaxEventsPerBatch) {
    pending_.push_back(takeBatch());
  }
  return *pending_.back();
}

v1::Event& ServerLink::nextEvent() {
  v1::Event* event = collecting().other->add_events();
  scheduleFlush();
  return *event;
}

void ServerLink::queuePhaseCall(uint64_t requestId, uint32_t seq, Phase phase,
                                const proxy::RequestState& state, const InstanceList& instances,
                                bool includeRequestBody) {
  Batch* batch = nullptr;
  if (phase != Phase::Log) {
    batch = &collecting();
    scheduleFlush();
  } else {
    if (logBatch_ != nullptr && logBatch_->events() >= kMaxEventsPerBatch) {
      queueLogBatch();
    }
    if (logBatch_ == nullptr) {
      logBatch_ = takeBatch();
    }
    batch = logBatch_.get();
    if (logCallsInFlight_ == 0 || !pending_.empty()) {
      scheduleFlush();  // Leaves with this loop pass (flush() queues it).
    }
  }
  appendPhaseCallEvent(batch->phaseCalls, requestId, seq, phase, state, instances,
                       includeRequestBody);
  batch->phaseCallKeys.push_back(CallKey{requestId, seq});
}

void ServerLink::flushLogs() {
  queueLogBatch();
  flush();
}

void ServerLink::queueLogBatch() {
  if (logBatch_ != nullptr && logBatch_->events() > 0) {
    pending_.push_back(std::move(logBatch_));
  }
}

void ServerLink::startCall(uint64_t requestId, uint32_t seq, std::chrono::milliseconds timeout,
                           CallHandler& handler, bool logPhase) {
  const CallKey key{requestId, seq};
  auto [it, inserted] = calls_.try_emplace(key);
  if (!inserted) {
    forget(it);  // A caller bug (seq reused); the newer call replaces the older one.
    it = calls_.try_emplace(key).first;
  }
  Call& call = it->second;
  call.key = key;
  call.handler = &handler;
  call.timeout = timeout;
  call.logPhase = logPhase;
  // A server that is not ready is waited for up to its start_timeout (PROTOCOL.md 3.2/3.5);
  // the phase timeout starts when the event is written.
  call.waitingForServer = streamState_ != StreamState::Open && !shared_.snapshot().ready;
  deadlines_.arm(call, call.waitingForServer ? shared_.config.startTimeout : timeout);
  bump(shared_.counters.phaseCalls);
}

void ServerLink::cancelCall(uint64_t requestId, uint32_t seq) {
  auto it = calls_.find(CallKey{requestId, seq});
  if (it == calls_.end()) {
    return;
  }
  forget(it);
  v1::Event& e = nextEvent();
  e.set_request_id(requestId);
  e.set_seq(seq);
  e.mutable_cancel();
}

void ServerLink::onCallTimeout(Call& call) {
  const CallKey key = call.key;
  auto it = calls_.find(key);
  if (it == calls_.end()) {
    return;
  }
  CallHandler* handler = it->second.handler;
  const bool written = it->second.written;
  forget(it);
  v1::Event& e = nextEvent();
  e.set_request_id(key.requestId);
  e.set_seq(key.seq);
  e.mutable_cancel();
  if (written) {
    bump(shared_.counters.timeouts);
  }
  handler->onCallFailed(written ? CallFailure::Timeout : CallFailure::Unavailable);
}

void ServerLink::forget(std::unordered_map<CallKey, Call, CallKeyHash>::iterator it) {
  deadlines_.disarm(it->second);
  const bool lastLogCall = it->second.logPhase && it->second.written && --logCallsInFlight_ == 0;
  calls_.erase(it);
  if (lastLogCall && logBatch_ != nullptr) {
    scheduleFlush();  // The server is done with the log events it had: send the next ones.
  }
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
  if (logBatch_ != nullptr && (logCallsInFlight_ == 0 || !pending_.empty() || closing_)) {
    queueLogBatch();  // Its turn (queuePhaseCall), or riding along with others (same writev).
  }
  // Writes every queued batch the stream accepts now: on the in-loop transport a write
  // completes as soon as the socket took it, so only a slow server leaves batches queued (then
  // onWriteDone flushes again).
  for (;;) {
    if (writing_ != nullptr) {
      if (pending_.empty() && !closing_) {
        return;  // Nothing to send: the write completion is taken on the next flush.
      }
      bool ok = false;
      if (!stream_->pollWriteDone(&ok)) {
        return;  // onWriteDone flushes again.
      }
      writing_->reset();
      free_.push_back(std::move(writing_));
      if (!ok) {
        return;  // The stream is breaking; onStreamClosed follows.
      }
    }
    if (pending_.empty()) {
      if (closing_) {
        stream_->writesDone();
      }
      return;
    }
    writeNext();
  }
}

void ServerLink::writeNext() {
  writing_ = std::move(pending_.front());
  pending_.pop_front();
  for (const CallKey& key : writing_->phaseCallKeys) {
    auto it = calls_.find(key);
    if (it != calls_.end()) {
      it->second.written = true;
      logCallsInFlight_ += it->second.logPhase ? 1 : 0;
      if (it->second.waitingForServer) {
        it->second.waitingForServer = false;
        deadlines_.arm(it->second, it->second.timeout);
      }
    }
  }
  bump(shared_.counters.eventsSent, writing_->events());
  bump(shared_.counters.batchesSent);
  stream_->write(writing_->phaseCalls, writing_->other.get());
}

void ServerLink::onWriteDone(bool ok) {
  if (writing_ != nullptr) {
    writing_->reset();
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
    forget(it);
    handler->onReply(reply);
  }
}

void ServerLink::onStreamClosed(const Status& status) {
  streamState_ = StreamState::Idle;
  dispatcher_.post([holder = std::make_shared<EventStreamPtr>(std::move(stream_))] {});
  if (writing_ != nullptr) {
    writing_->reset();
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
    forget(it);
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
  if (!snap.ready || snap.address.empty() || snap.generation == brokenGeneration_) {
    return;  // onServerChanged() comes when the supervisor publishes a new generation.
  }
  generation_ = snap.generation;
  streamState_ = StreamState::Opening;
  stream_ = openEventStream(dispatcher_, snap.address, *this);
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
