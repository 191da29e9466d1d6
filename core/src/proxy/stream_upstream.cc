// The Stream's upstream half: target choice, the upstream request, retries, the response back to
// the client, local replies and completion. (The downstream half and the plugin phases are in
// stream.cc; both implement the one state machine declared in stream.h.)

#include "gateway/http1/codec.h"
#include "gateway/router/router.h"
#include "proxy/access_log_line.h"
#include "proxy/local_reply.h"
#include "proxy/stream.h"

namespace gateway::proxy {

namespace {
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

bool isIdempotent(std::string_view m) {
  return m == "GET" || m == "HEAD" || m == "PUT" || m == "DELETE" || m == "OPTIONS" ||
         m == "TRACE";
}
} // namespace

// --- Target and upstream request --------------------------------------------------------------

bool Stream::pickTarget(upstream::Endpoint& target) {
  if (pinnedTarget_) {
    target = std::move(*pinnedTarget_);
    pinnedTarget_.reset();
    return true;
  }
  if (state_.upstreamTarget) {
    target = *state_.upstreamTarget;
    return true;
  }
  const config::Service& service = *state_.service;
  if (balancer_ == nullptr && upstreamEntity_ == nullptr) {
    const config::Config& config = *snapshot_->config;
    if (state_.upstreamName) {
      upstreamEntity_ = config.findUpstream(*state_.upstreamName);
      if (upstreamEntity_ != nullptr) {
        balancer_ = upstream::createUpstreamBalancer(*upstreamEntity_);
      }
    } else if (auto* cached = context_.balancers.find(*snapshot_, service)) {
      upstreamEntity_ = cached->upstream;
      balancer_ = cached->balancer;
    } else {
      auto built = BalancerCache::build(config, service);
      upstreamEntity_ = built.upstream;
      balancer_ = std::move(built.balancer);
    }
  }
  if (balancer_ == nullptr) {
    target.host = service.host;
    target.port = service.port;
    return true;
  }
  upstream::HashInput input;
  input.clientIp = state_.clientIp;
  if (upstreamEntity_->hashOn == config::HashOn::Header) {
    input.headerValue = state_.request.headers.get(upstreamEntity_->hashOnHeader).value_or("");
  }
  if (upstreamEntity_->hashFallback == config::HashOn::Header) {
    input.fallbackHeaderValue =
        state_.request.headers.get(upstreamEntity_->hashFallbackHeader).value_or("");
  }
  if (state_.consumer != nullptr) {
    input.consumerId = state_.consumer->id;
  }
  auto now = context_.dispatcher.now();
  auto picked = balancer_->pick(input, tried_, now);
  if (!picked && !tried_.empty()) {
    picked = balancer_->pick(input, {}, now);  // Every target tried: start over, as Kong does.
  }
  if (!picked) {
    return false;
  }
  target = std::move(*picked);
  return true;
}

void Stream::buildUpstreamHead(const upstream::Endpoint& target, std::string& out,
                               headers::BodyFraming& framing) {
  const http::RequestHead& req = state_.request;
  const config::Route& route = *state_.route;
  std::string path = state_.upstreamPath ? *state_.upstreamPath
                                         : router::upstreamPath(*state_.service, route,
                                                                *state_.match, req.path);
  std::string host = state_.upstreamHost
                         ? *state_.upstreamHost
                         : headers::upstreamHost(target, upstreamEntity_, route.preserveHost,
                                                 req.headers.get("host").value_or(""));
  headers::UpstreamHeadParams p;
  p.method = state_.upstreamMethod ? std::string_view(*state_.upstreamMethod)
                                   : std::string_view(req.method);
  p.path = path;
  if (state_.upstreamQuery) {
    p.query = *state_.upstreamQuery;
    p.hasQuery = !state_.upstreamQuery->empty();
  } else {
    p.query = req.rawQuery;
    p.hasQuery = req.hasQuery;
  }
  p.host = host;
  p.clientIp = state_.clientIp;
  p.forwardedProto = state_.scheme;
  p.forwardedHost = state_.host;
  p.forwardedPort = state_.port;
  p.forwardedPath = req.path;
  const std::string& prefix = state_.match->matchedPrefix;
  if (route.stripPath && !prefix.empty() && prefix != "/") {
    p.forwardedPrefix = prefix;
  }
  p.requestId = requestId_;
  p.clientVersionMinor = req.versionMinor;
  p.serverTokens = settings_.serverTokens;
  p.upgrade = req.upgrade;
  if (state_.upstreamBody) {
    body_.inMemory = true;
    body_.discard = !body_.complete && !body_.collecting;
    framing = headers::BodyFraming::ContentLength;
    p.contentLength = state_.upstreamBody->size();
  } else if (state_.requestBody) {
    framing = headers::BodyFraming::ContentLength;
    p.contentLength = state_.requestBody->size();
  } else if (req.framing == http::BodyFraming::ContentLength) {
    framing = headers::BodyFraming::ContentLength;
    p.contentLength = req.contentLength;
  } else if (req.framing == http::BodyFraming::Chunked) {
    framing = headers::BodyFraming::Chunked;
  } else {
    framing = headers::BodyFraming::None;
  }
  p.framing = framing;
  headers::buildUpstreamRequestHead(req.headers, p, out);
}

void Stream::connectUpstream(bool freshConnection) {
  upstream::Endpoint target;
  if (!pickTarget(target)) {
    sendError(503, messages::kNoPeer);
    return;
  }
  std::string head;
  headers::BodyFraming framing;
  buildUpstreamHead(target, head, framing);
  lastTarget_ = target.toString();
  const config::Service& s = *state_.service;
  UpstreamTimeouts timeouts{s.connectTimeout, s.writeTimeout, s.readTimeout};
  resetUpstream();
  upstreamReady_ = false;
  upstream_ = std::make_unique<UpstreamRequest>(context_, *this, std::move(target), timeouts);
  waiting_ = Waiting::UpstreamConnect;
  UpstreamRequest* started = upstream_.get();
  started->start(std::move(head),
                 state_.upstreamMethod ? *state_.upstreamMethod : state_.request.method, framing,
                 freshConnection);
}

void Stream::resetUpstream() {
  upstreamReady_ = false;
  if (upstream_) {
    upstream_->cancel();
    context_.deleter.deferDelete(std::move(upstream_));
  }
}

void Stream::onUpstreamReady() {
  sentMono_ = context_.dispatcher.now();
  state_.proxyLatencyMs = std::chrono::duration_cast<std::chrono::milliseconds>(sentMono_ -
                                                                                startMono_)
                              .count();
  waiting_ = Waiting::UpstreamResponse;
  upstreamReady_ = true;
  UpstreamRequest* up = upstream_.get();
  if (state_.upstreamBody || state_.requestBody) {
    const std::string& b = state_.upstreamBody ? *state_.upstreamBody : *state_.requestBody;
    up->sendBody(b);
    if (upstream_.get() == up) {
      up->endBody();
    }
    return;
  }
  forwardPendingBody();
  if (upstream_.get() == up && !body_.complete) {
    sendContinueIfNeeded();
    owner_.onStreamReadInterestChanged();
  }
}

// Sends what the client sent before the upstream was ready (or while it was full).
void Stream::forwardPendingBody() {
  UpstreamRequest* up = upstream_.get();
  if (up == nullptr || waiting_ == Waiting::Done || body_.inMemory || body_.discard) {
    return;
  }
  if (!body_.pending.empty()) {
    std::string bytes;
    bytes.swap(body_.pending);
    sendBodyUpstream(bytes);
  }
  if (upstream_.get() == up && body_.complete) {
    up->endBody();
  }
}

void Stream::sendBodyUpstream(std::string_view data) {
  constexpr size_t kReplayLimit = 64 * 1024;
  if (upstream_->reusedConnection() && !body_.replayOverflow) {
    if (body_.replay.size() + data.size() <= kReplayLimit) {
      body_.replay.append(data);
    } else {
      body_.replayOverflow = true;
      body_.replay.clear();
      body_.replay.shrink_to_fit();
    }
  }
  upstream_->sendBody(data);
}

void Stream::sendContinueIfNeeded() {
  if (state_.request.expectContinue && !body_.continueSent && !body_.complete &&
      body_.received == 0 && state_.request.versionMinor >= 1) {
    body_.continueSent = true;
    owner_.writeToClient(std::string(kContinue));
  }
}

void Stream::onUpstreamWriteDrained() {
  if (waiting_ != Waiting::Tunnel) {
    forwardPendingBody();
  }
  owner_.onStreamReadInterestChanged();
}

bool Stream::shouldRetry(const UpstreamFailure& f) const {
  if (response_.headSent || f.responseStarted) {
    return false;
  }
  switch (f.kind) {
  case UpstreamFailureKind::ConnectFailed:
  case UpstreamFailureKind::ConnectTimeout:
    return true;
  case UpstreamFailureKind::Reset:
  case UpstreamFailureKind::BadResponse:
    return (f.bodyBytesSent == 0 || body_.inMemory) &&
           isIdempotent(state_.upstreamMethod ? *state_.upstreamMethod : state_.request.method);
  case UpstreamFailureKind::ReadTimeout:
  case UpstreamFailureKind::WriteTimeout:
    return false;
  }
  return false;
}

void Stream::reportHealth(bool success, const UpstreamFailure* failure) {
  if (balancer_ == nullptr || !upstream_) {
    return;
  }
  if (success) {
    balancer_->reportSuccess(upstream_->target());
  } else if (failure != nullptr && !failure->reusedConnection) {
    balancer_->reportFailure(upstream_->target(), context_.dispatcher.now());
  }
}

void Stream::onUpstreamFailure(const UpstreamFailure& f) {
  if (waiting_ == Waiting::Done) {
    return;
  }
  reportHealth(false, &f);
  const bool replayable =
      f.bodyBytesSent == 0 || body_.inMemory || (f.reusedConnection && !body_.replayOverflow);
  if (f.reusedConnection && !f.responseStarted && replayable && !retriedTransparently_ &&
      !f.isTimeout()) {
    // A pooled connection the upstream had closed: try once more on a fresh one, same target,
    // replaying the body bytes already written.
    retriedTransparently_ = true;
    body_.replay.append(body_.pending);
    body_.pending.swap(body_.replay);
    body_.replay.clear();
    pinnedTarget_ = upstream_->target();
    connectUpstream(true);
    return;
  }
  if (shouldRetry(f) && retriesLeft_ > 0) {
    --retriesLeft_;
    tried_.push_back(upstream_->target());
    connectUpstream(true);
    return;
  }
  if (response_.headSent) {
    // Cut mid-response: nothing can be said any more; close so the client sees the truncation.
    flushToClient();
    onClientAbort();
    owner_.onStreamComplete(true);
    return;
  }
  if (f.isTimeout()) {
    sendError(504, messages::kUpstreamTimeout);
  } else {
    sendError(502, messages::kBadUpstreamResponse);
  }
}

} // namespace gateway::proxy
