// The per-request phase machine (see stream.h for the life of a request).
//
// Design choices written down here because they are policy:
// - 100-continue: the gateway answers "100 Continue" itself, once the request may actually flow
//   (the upstream connection is established and the head written, or a plugin wants the body);
//   `Expect` is not forwarded and upstream interim responses are dropped. A request answered
//   before that (404, 401, ...) never gets a 100 and its connection closes after the response,
//   since its body was not read.
// - Retries (shouldRetry): at most service.retries extra attempts, each on the balancer's next
//   target. Connection-establishment failures (refused, unreachable, connect timeout) always retry
//   (nothing was sent). Resets and unparsable responses retry only before any response byte, for
//   idempotent methods, and only if no request-body byte was streamed (or the body is held in
//   memory). Read/write timeouts never retry (504 at once). A failure on a pooled connection before
//   any response byte retries once on a fresh connection without counting as a retry.
// - Response phase buffering is bounded by limits.maxBodyBytes (8 MiB when unlimited): over it,
//   the client gets 502.

#include "proxy/stream.h"

#include <cstdio>

#include "gateway/http1/codec.h"
#include "proxy/access_log_line.h"
#include "proxy/local_reply.h"

namespace gateway::proxy {

namespace {

// "%016llx" of id into out[0..16], NUL-terminated.
void formatRequestId(uint64_t id, char (&out)[17]) {
  constexpr char kHex[] = "0123456789abcdef";
  for (int i = 15; i >= 0; --i) {
    out[i] = kHex[id & 0xf];
    id >>= 4;
  }
  out[16] = '\0';
}

} // namespace

Stream::Stream(WorkerContext& context, StreamOwner& owner, ConfigSnapshotSharedPtr snapshot,
               const ClientInfo& client)
    : context_(context), owner_(owner), snapshot_(std::move(snapshot)),
      settings_(snapshot_->config->gateway) {
  state_.clientIp = client.ip;
  state_.clientPort = client.port;
  state_.port = client.localPort;
}

Stream::~Stream() {
  plugins_.reset();  // Cancels plugin callbacks before anything they reference goes away.
  resetUpstream();
}

int64_t Stream::msSince(event::MonotonicTime t) const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(context_.dispatcher.now() - t)
      .count();
}

// --- Downstream: head and body -------------------------------------------------------------

void Stream::start(http::RequestHead&& head, uint64_t headBytes) {
  startMono_ = context_.dispatcher.now();
  state_.startedAt = std::chrono::system_clock::now();
  state_.id = context_.nextRequestId();
  formatRequestId(state_.id, requestId_);
  state_.request = std::move(head);
  state_.bytesReceived = headBytes;
  if (auto host = state_.request.headers.get("host")) {
    state_.host = headers::normalizeHost(*host);
  }
  const http::RequestHead& req = state_.request;
  body_.complete = req.framing == http::BodyFraming::None ||
                   (req.framing == http::BodyFraming::ContentLength && req.contentLength == 0);
  const uint64_t maxBody = settings_.limits.maxBodyBytes;
  if (maxBody != 0 && req.framing == http::BodyFraming::ContentLength && req.contentLength > maxBody) {
    sendError(413, defaultMessage(413));
    return;
  }
  if (context_.plugins != nullptr && snapshot_->plugins && !snapshot_->plugins->empty()) {
    plugins_ = context_.plugins->startRequest(*snapshot_->plugins, state_, *this);
  }
  runRewrite();
}

void Stream::onRequestBody(std::string_view data) {
  body_.received += data.size();
  state_.bytesReceived += data.size();
  if (waiting_ == Waiting::Done) {
    return;
  }
  const uint64_t maxBody = settings_.limits.maxBodyBytes;
  if (maxBody != 0 && body_.received > maxBody) {
    sendError(413, defaultMessage(413));
    return;
  }
  if (body_.collecting) {
    const uint64_t cap = bufferedBodyCap();
    std::string& buf = *state_.requestBody;
    if (buf.size() + data.size() > cap) {
      sendError(413, defaultMessage(413));
      return;
    }
    buf.append(data);
    return;
  }
  if (body_.discard) {
    return;
  }
  if (canForwardBody() && body_.pending.empty()) {
    sendBodyUpstream(data);
    if (upstream_ && upstream_->writeBufferFull()) {
      owner_.onStreamReadInterestChanged();
    }
    return;
  }
  body_.pending.append(data);
  owner_.onStreamReadInterestChanged();
}

void Stream::onRequestComplete() {
  if (body_.complete) {
    return;
  }
  body_.complete = true;
  if (waiting_ == Waiting::Done) {
    return;
  }
  if (body_.collecting) {
    onRequestBodyCollected();
    return;
  }
  if (upstreamReady_ && upstream_ && body_.pending.empty() && !body_.inMemory && !body_.discard) {
    upstream_->endBody();
  }
}

bool Stream::canForwardBody() const {
  return upstreamReady_ && upstream_ && !upstream_->writeBufferFull() && !body_.inMemory &&
         !body_.discard && waiting_ != Waiting::Done && waiting_ != Waiting::Tunnel;
}

bool Stream::wantsRequestData() const {
  if (waiting_ == Waiting::Tunnel) {
    return upstream_ && !upstream_->writeBufferFull();
  }
  if (body_.complete || waiting_ == Waiting::Done) {
    return false;
  }
  if (body_.collecting || body_.discard) {
    return true;
  }
  // Before the upstream is ready the body waits in the client's socket (back-pressure), except
  // what arrived together with the head.
  return body_.pending.empty() && canForwardBody();
}

void Stream::onClientAbort() {
  if (waiting_ == Waiting::Done) {
    return;
  }
  plugins_.reset();
  resetUpstream();
  waiting_ = Waiting::Done;
  state_.totalLatencyMs = msSince(startMono_);
  if (!response_.headSent) {
    state_.response.status = 499;  // nginx's "client closed request", for the log only.
  }
  writeAccessLog();
}

void Stream::onClientTimeout() {
  if (waiting_ == Waiting::Done) {
    return;
  }
  if (!response_.headSent) {
    closeAfter_ = true;
    sendError(408, defaultMessage(408));
    return;
  }
  onClientAbort();
  owner_.onStreamComplete(true);
}

void Stream::onClientProtocolError(int status) {
  closeAfter_ = true;
  if (waiting_ == Waiting::Done) {
    return;
  }
  if (!response_.headSent) {
    sendError(status, defaultMessage(status));
    return;
  }
  onClientAbort();
  owner_.onStreamComplete(true);
}

void Stream::readRequestBody(std::function<void(StatusOr<std::string_view>)> cb) {
  if (state_.requestBody && body_.complete) {
    cb(std::string_view(*state_.requestBody));
    return;
  }
  if (upstream_ || response_.headSent || body_.discard) {
    // The body is already on its way upstream (or dropped): it cannot be buffered any more.
    cb(Status(StatusCode::InvalidArgument, "request body already streamed to the upstream"));
    return;
  }
  bodyWaiter_ = std::move(cb);
  if (!body_.collecting) {
    waitingBeforeCollect_ = waiting_;
    collectRequestBody(collectingFor_);
  }
}

// --- Phases ---------------------------------------------------------------------------------

void Stream::runPhase(plugin::Phase phase) {
  if (plugins_->needsRequestBody(phase) && !state_.requestBody.has_value()) {
    collectRequestBody(phase);
    return;
  }
  switch (phase) {
  case plugin::Phase::Rewrite: waiting_ = Waiting::RewritePhase; break;
  case plugin::Phase::Access: waiting_ = Waiting::AccessPhase; break;
  case plugin::Phase::Response:
  case plugin::Phase::HeaderFilter:
    if (waiting_ != Waiting::LocalReplyPhase) {
      waiting_ = phase == plugin::Phase::Response ? Waiting::ResponsePhase
                                                  : Waiting::HeaderFilterPhase;
    }
    break;
  case plugin::Phase::Log: return;
  }
  plugins_->runPhase(phase, state_,
                     [this, phase](plugin::PhaseOutcome outcome) { onPhaseDone(phase, outcome); });
}

// Buffers the whole request body (bounded) before `phase`, then runs it.
void Stream::collectRequestBody(plugin::Phase phase) {
  collectingFor_ = phase;
  waiting_ = Waiting::RequestBody;
  body_.collecting = true;
  state_.requestBody.emplace();
  state_.requestBody->reserve(state_.request.framing == http::BodyFraming::ContentLength
                                  ? static_cast<size_t>(state_.request.contentLength)
                                  : 0);
  state_.requestBody->append(body_.pending);
  body_.pending.clear();
  if (body_.complete) {
    onRequestBodyCollected();
    return;
  }
  sendContinueIfNeeded();
  owner_.onStreamReadInterestChanged();
}

void Stream::onRequestBodyCollected() {
  body_.collecting = false;
  body_.inMemory = true;
  if (bodyWaiter_) {
    // A plugin asked for the body in the middle of its phase: the phase is still running.
    if (waitingBeforeCollect_) {
      waiting_ = *waitingBeforeCollect_;
      waitingBeforeCollect_.reset();
    }
    auto cb = std::move(bodyWaiter_);
    bodyWaiter_ = nullptr;
    cb(std::string_view(*state_.requestBody));
    return;
  }
  runPhase(collectingFor_);
}

void Stream::onPhaseDone(plugin::Phase phase, plugin::PhaseOutcome outcome) {
  if (waiting_ == Waiting::Done) {
    return;
  }
  switch (outcome.kind) {
  case plugin::PhaseOutcome::Kind::Continue:
    afterPhase(phase);
    return;
  case plugin::PhaseOutcome::Kind::Exit:
    if (waiting_ == Waiting::LocalReplyPhase || waiting_ == Waiting::ResponsePhase ||
        waiting_ == Waiting::HeaderFilterPhase || !state_.exit) {
      afterPhase(phase);  // Response-side phases cannot exit; treat as continue.
      return;
    }
    {
      LocalReply reply = std::move(*state_.exit);
      state_.exit.reset();
      sendLocalReply(std::move(reply), "exit");
    }
    return;
  case plugin::PhaseOutcome::Kind::Fail:
    if (waiting_ == Waiting::LocalReplyPhase || response_.headSent) {
      afterPhase(phase);
      return;
    }
    sendError(outcome.status != 0 ? outcome.status : 500,
              outcome.message.empty() ? messages::kUnexpected : outcome.message);
    return;
  }
}

void Stream::afterPhase(plugin::Phase phase) {
  if (waiting_ == Waiting::LocalReplyPhase) {
    writeLocalReply();
    return;
  }
  switch (phase) {
  case plugin::Phase::Rewrite: route(); return;
  case plugin::Phase::Access: connectUpstream(false); return;
  case plugin::Phase::Response: sendBufferedResponse(); return;
  case plugin::Phase::HeaderFilter:
    sendResponseHead();
    waiting_ = Waiting::ResponseBody;
    if (!response_.held.empty()) {
      appendResponseBody(response_.held);
      response_.held.clear();
    }
    if (response_.upstreamComplete) {
      onUpstreamResponseComplete();
      return;
    }
    flushToClient();
    if (upstream_) {
      upstream_->readDisable(owner_.clientWriteBufferFull());
    }
    return;
  case plugin::Phase::Log: return;
  }
}

void Stream::runRewrite() {
  if (plugins_ && plugins_->wants(plugin::Phase::Rewrite)) {
    runPhase(plugin::Phase::Rewrite);
    return;
  }
  route();
}

void Stream::route() {
  const http::RequestHead& req = state_.request;
  router::MatchInput input{req.method, state_.host, req.path, &req.headers};
  state_.match = snapshot_->router->match(input);
  if (!state_.match) {
    sendError(404, messages::kNoRoute);
    return;
  }
  state_.route = state_.match->route;
  state_.service = state_.match->service;
  if (state_.service == nullptr) {
    sendError(503, messages::kNoService);
    return;
  }
  retriesLeft_ = state_.service->retries;
  runAccess();
}

void Stream::runAccess() {
  if (plugins_ && plugins_->wants(plugin::Phase::Access)) {
    runPhase(plugin::Phase::Access);
    return;
  }
  connectUpstream(false);
}

} // namespace gateway::proxy
