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
  current_.reset();
  retiring_.clear();
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
  if (it->second.written) {
    if (Slot* slot = slotOf(it->second.epoch); slot != nullptr && --slot->callsInFlight == 0 &&
                                                slot != current_.get()) {
      retireWhenIdle(*slot);
    }
  }
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
      if (!current_->stream->pollWriteDone(&ok)) {
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
        current_->stream->writesDone();
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
      it->second.epoch = current_->epoch;
      ++current_->callsInFlight;
      logCallsInFlight_ += it->second.logPhase ? 1 : 0;
      if (it->second.waitingForServer) {
        it->second.waitingForServer = false;
        deadlines_.arm(it->second, it->second.timeout);
      }
    }
  }
  bump(shared_.counters.eventsSent, writing_->events());
  bump(shared_.counters.batchesSent);
  current_->stream->write(writing_->phaseCalls, writing_->other.get());
}

void ServerLink::onWriteDone(Slot& slot, bool ok) {
  if (&slot != current_.get()) {
    return;  // A retiring stream's write: its batch was recycled when it retired.
  }
  if (writing_ != nullptr) {
    writing_->reset();
    free_.push_back(std::move(writing_));
  }
  if (ok) {
    flush();
  }
}

void ServerLink::onReplies(v1::ReplyBatch& batch) {  // From any of the link's streams.
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

void ServerLink::onStreamClosed(Slot& slot, const Status& status) {
  const uint64_t epoch = slot.epoch;
  const bool current = &slot == current_.get();
  if (current) {
    streamState_ = StreamState::Idle;
    destroySlot(std::move(current_));
    if (writing_ != nullptr) {
      writing_->reset();
      free_.push_back(std::move(writing_));
    }
  } else {
    for (auto& r : retiring_) {
      if (r.get() == &slot) {
        destroySlot(std::move(r));
      }
    }
    std::erase(retiring_, nullptr);
  }
  std::vector<CallKey> failed;
  for (const auto& [key, call] : calls_) {
    if (call.written && call.epoch == epoch) {
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
  if (!current || closing_) {
    return;  // A retiring stream ending (normally once drained) breaks nothing.
  }
  brokenGeneration_ = generation_;
  onBroken_(generation_);
  ensureStream();
}

void ServerLink::onStreamReady(Slot& slot) {
  if (&slot != current_.get()) {
    return;
  }
  streamState_ = StreamState::Open;
  flush();
}

void ServerLink::onStreamGoingAway(Slot& slot) {
  if (&slot != current_.get() || closing_ || streamState_ != StreamState::Open) {
    return;  // Already retiring, or the link is closing this stream anyway, or not open yet.
  }
  const auto now = dispatcher_.now();
  if (lastGoAway_ && now - *lastGoAway_ < kGoAwayInterval) {
    return;  // A server sending GOAWAY on every stream: keep this one until it ends.
  }
  lastGoAway_ = now;
  // The server wants no new work here (a graceful stop: a sidecar being replaced): calls
  // written to this stream are still answered on it; new events go to a new stream.
  if (writing_ != nullptr) {
    writing_->reset();  // The stream holds its bytes already.
    free_.push_back(std::move(writing_));
  }
  retiring_.push_back(std::move(current_));
  streamState_ = StreamState::Idle;
  if (retiring_.back()->callsInFlight == 0) {
    retireWhenIdle(*retiring_.back());
  }
  ensureStream();
}

ServerLink::Slot* ServerLink::slotOf(uint64_t epoch) {
  if (current_ != nullptr && current_->epoch == epoch) {
    return current_.get();
  }
  for (auto& r : retiring_) {
    if (r != nullptr && r->epoch == epoch) {
      return r.get();
    }
  }
  return nullptr;
}

void ServerLink::retireWhenIdle(Slot& slot) {
  if (slot.halfClosed) {
    return;
  }
  slot.halfClosed = true;
  // Not from inside the stream's own callbacks (a reply on it may have brought us here).
  dispatcher_.post([this, alive = alive_, epoch = slot.epoch] {
    if (*alive) {
      if (Slot* s = slotOf(epoch); s != nullptr && s != current_.get()) {
        s->stream->writesDone();  // The server finishes the call; onStreamClosed follows.
      }
    }
  });
}

void ServerLink::destroySlot(std::unique_ptr<Slot> slot) {
  dispatcher_.post([holder = std::make_shared<std::unique_ptr<Slot>>(std::move(slot))] {});
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
  current_ = std::make_unique<Slot>(*this, nextEpoch_++);
  current_->stream = openEventStream(dispatcher_, snap.address, *current_);
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
