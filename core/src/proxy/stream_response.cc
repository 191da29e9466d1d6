// The Stream's response half: the upstream response (or a local reply) to the client, the tunnel
// after a 101, and completion with the log phase and the access-log line. Part of the state
// machine declared in stream.h.

#include "common/logging.h"
#include "gateway/http1/codec.h"
#include "proxy/access_log_line.h"
#include "proxy/local_reply.h"
#include "proxy/stream.h"

namespace gateway::proxy {

// --- Response -----------------------------------------------------------------------------------

void Stream::onUpstreamResponseHead(http::ResponseHead&& head) {
  if (waiting_ == Waiting::Done) {
    return;
  }
  state_.upstreamLatencyMs = msSince(sentMono_);
  body_.replay.clear();
  body_.replayOverflow = true;  // The response started: no more transparent retry.
  state_.serviceStatus = head.status;
  state_.hasResponse = true;
  response_.upstreamFraming = head.framing;
  response_.upstreamLength = head.contentLength;
  if (plugins_) {
    state_.serviceResponseHeaders = head.headers;
  }
  const bool upgrade = head.status == 101 && state_.request.upgrade;
  headers::ResponseParams p;
  p.requestId = requestId_;
  p.serverTokens = settings_.serverTokens;
  p.latencyHeaders = settings_.latencyHeaders;
  p.upstreamLatencyMs = state_.upstreamLatencyMs;
  p.proxyLatencyMs = state_.proxyLatencyMs;
  p.upgrade = upgrade;
  headers::rewriteUpstreamResponse(head, p);
  state_.response = std::move(head);
  if (upgrade) {
    sendResponseHead();
    flushToClient();
    waiting_ = Waiting::Tunnel;
    body_.pending.clear();
    owner_.onStreamUpgraded();
    return;
  }
  if (plugins_ && plugins_->wants(plugin::Phase::Response)) {
    waiting_ = Waiting::ResponseBuffering;
    state_.responseBody.emplace();
    return;
  }
  if (plugins_ && plugins_->wants(plugin::Phase::HeaderFilter)) {
    runPhase(plugin::Phase::HeaderFilter);
    // Pause the upstream only while the phase really waits for a plugin server (body bytes
    // arriving meanwhile are held). Response headers set in access apply synchronously; pausing
    // and resuming around them cost two epoll_ctl calls per request. (Streams are deleted
    // deferred, so `this` is alive here.)
    if (waiting_ == Waiting::HeaderFilterPhase && upstream_) {
      upstream_->readDisable(true);
    }
    return;
  }
  sendResponseHead();
  waiting_ = Waiting::ResponseBody;
}

bool Stream::computeKeepAlive() const {
  return state_.request.keepAlive && body_.complete && !closeAfter_ && !context_.draining &&
         !state_.request.upgrade;
}

void Stream::sendResponseHead() {
  http::ResponseHead& head = state_.response;
  uint64_t length = response_.upstreamLength;
  if (state_.responseBody && waiting_ != Waiting::HeaderFilterPhase) {
    response_.framing = headers::chooseClientFraming(state_.request.method,
                                                     state_.request.versionMinor, head.status,
                                                     http::BodyFraming::ContentLength);
    length = state_.responseBody->size();
  } else {
    response_.framing = headers::chooseClientFraming(state_.request.method,
                                                     state_.request.versionMinor, head.status,
                                                     response_.upstreamFraming);
  }
  const bool upgrade = head.status == 101 && state_.request.upgrade;
  response_.keepAlive = computeKeepAlive() && response_.framing != headers::ClientFraming::UntilClose;
  headers::setClientFraming(head, response_.framing, length, response_.keepAlive,
                            state_.request.versionMinor, upgrade);
  http1::encodeResponseHead(head, response_.out);
  response_.headSent = true;
}

void Stream::appendResponseBody(std::string_view data) {
  if (data.empty()) {
    return;
  }
  switch (response_.framing) {
  case headers::ClientFraming::NoBody: return;
  case headers::ClientFraming::Chunked: http1::encodeChunk(data, response_.out); return;
  case headers::ClientFraming::ContentLength:
  case headers::ClientFraming::UntilClose: response_.out.append(data); return;
  }
}

void Stream::flushToClient() {
  if (response_.out.empty()) {
    return;
  }
  state_.bytesSent += response_.out.size();
  std::string bytes;
  bytes.swap(response_.out);
  owner_.writeToClient(std::move(bytes));
}

void Stream::onUpstreamResponseBody(std::string_view data) {
  switch (waiting_) {
  case Waiting::ResponseBuffering: {
    const uint64_t cap = bufferedBodyCap();
    if (state_.responseBody->size() + data.size() > cap) {
      // The upstream did nothing wrong: the gateway cannot hold the whole body its response-phase
      // plugins need. Say so in the log and in the answer (never skip the plugins silently).
      if (log::enabled(log::Level::Error)) {
        log::error("request " + std::string(requestId_) + ": upstream response body is larger than " +
                   std::to_string(cap) + " bytes, the response buffer limit for response-phase " +
                   "plugins (gantry.limits.max_body_bytes); answering 502");
      }
      resetUpstream();
      state_.responseBody.reset();
      sendError(502, messages::kResponseTooLarge);
      return;
    }
    state_.responseBody->append(data);
    return;
  }
  case Waiting::HeaderFilterPhase: response_.held.append(data); return;
  case Waiting::ResponseBody: appendResponseBody(data); return;
  default: return;
  }
}

void Stream::onUpstreamReadDone() {
  if (waiting_ != Waiting::ResponseBody && waiting_ != Waiting::Tunnel) {
    return;
  }
  flushToClient();
  if (upstream_ && owner_.clientWriteBufferFull()) {
    response_.upstreamPaused = true;
    upstream_->readDisable(true);
  }
}

void Stream::onClientWriteDrained() {
  if (response_.upstreamPaused && upstream_ &&
      (waiting_ == Waiting::ResponseBody || waiting_ == Waiting::Tunnel)) {
    response_.upstreamPaused = false;
    upstream_->readDisable(false);
  }
}

void Stream::onUpstreamResponseComplete() {
  response_.upstreamComplete = true;
  switch (waiting_) {
  case Waiting::ResponseBuffering:
    reportHealth(true, nullptr);
    runPhase(plugin::Phase::Response);
    return;
  case Waiting::HeaderFilterPhase: return;  // afterPhase() completes the response.
  case Waiting::ResponseBody:
    reportHealth(true, nullptr);
    if (response_.framing == headers::ClientFraming::Chunked) {
      http1::encodeLastChunk(response_.out);
    }
    flushToClient();
    finish(!response_.keepAlive);
    return;
  default: return;
  }
}

void Stream::sendBufferedResponse() {
  sendResponseHead();
  if (response_.framing != headers::ClientFraming::NoBody) {
    response_.out.append(*state_.responseBody);
  }
  flushToClient();
  finish(!response_.keepAlive);
}

// --- Tunnel -------------------------------------------------------------------------------------

void Stream::onTunnelData(std::string_view data) {
  state_.bytesReceived += data.size();
  if (upstream_) {
    upstream_->sendTunnel(data);
  }
}

// The tunnel lasts until either side closes; the other side is then closed after its queued
// bytes are written (UpstreamRequest's destructor closes a tunnel gracefully).
void Stream::onClientTunnelEof() {
  if (waiting_ == Waiting::Tunnel) {
    finish(true);
  }
}

void Stream::onUpstreamTunnelData(std::string_view data) {
  state_.bytesSent += data.size();
  owner_.writeToClient(std::string(data));
  if (upstream_ && owner_.clientWriteBufferFull()) {
    response_.upstreamPaused = true;
    upstream_->readDisable(true);
  }
}

void Stream::onUpstreamTunnelClosed() {
  if (waiting_ == Waiting::Tunnel) {
    finish(true);
  }
}

// --- Local replies and completion ---------------------------------------------------------------

void Stream::sendError(int status, std::string_view message) {
  sendLocalReply(makeJsonReply(status, message), "error");
}

void Stream::sendLocalReply(LocalReply&& reply, const char* source) {
  if (waiting_ == Waiting::Done) {
    return;
  }
  if (response_.headSent) {
    flushToClient();
    onClientAbort();
    owner_.onStreamComplete(true);
    return;
  }
  resetUpstream();
  body_.collecting = false;
  state_.responseSource = source;
  state_.hasResponse = true;
  http::ResponseHead head;
  head.status = reply.status;
  head.headers = std::move(reply.headers);
  headers::decorateLocalResponse(head, requestId_, settings_.serverTokens,
                                 settings_.latencyHeaders, msSince(startMono_));
  state_.response = std::move(head);
  if (reply.hasBody) {
    state_.responseBody = std::move(reply.body);
  } else {
    state_.responseBody.emplace();
  }
  if (plugins_ && (plugins_->wants(plugin::Phase::Response) ||
                   plugins_->wants(plugin::Phase::HeaderFilter))) {
    waiting_ = Waiting::LocalReplyPhase;
    runPhase(plugins_->wants(plugin::Phase::Response) ? plugin::Phase::Response
                                                      : plugin::Phase::HeaderFilter);
    return;
  }
  writeLocalReply();
}

void Stream::writeLocalReply() {
  http::ResponseHead& head = state_.response;
  const std::string& bodyText = *state_.responseBody;
  response_.framing = headers::chooseClientFraming(state_.request.method,
                                                   state_.request.versionMinor, head.status,
                                                   http::BodyFraming::ContentLength);
  response_.keepAlive = computeKeepAlive();
  headers::setClientFraming(head, response_.framing, bodyText.size(), response_.keepAlive,
                            state_.request.versionMinor, false);
  if (response_.framing == headers::ClientFraming::NoBody && state_.request.method == "HEAD") {
    head.headers.set("Content-Length", std::to_string(bodyText.size()));
  }
  response_.out.reserve(256 + head.headers.byteSize() + bodyText.size());
  http1::encodeResponseHead(head, response_.out);
  if (response_.framing != headers::ClientFraming::NoBody) {
    response_.out.append(bodyText);
  }
  response_.headSent = true;
  flushToClient();
  finish(!response_.keepAlive);
}

void Stream::finish(bool closeConnection) {
  if (waiting_ == Waiting::Done) {
    return;
  }
  waiting_ = Waiting::Done;
  state_.totalLatencyMs = msSince(startMono_);
  if (plugins_) {
    plugins_->runLog(state_);
  }
  writeAccessLog();
  owner_.onStreamComplete(closeConnection || !body_.complete);
}

void Stream::writeAccessLog() {
  const config::LogSettings& log = settings_.log;
  if (log.accessLog == "off") {
    return;
  }
  AccessLogFields fields;
  fields.requestId = requestId_;
  fields.status = state_.response.status;
  fields.upstream = lastTarget_;
  std::string line;
  if (log.accessLogFormat == config::LogFormat::Json) {
    appendAccessLogLine(state_, fields, line);
  } else {
    appendAccessLogText(state_, fields, line);
  }
  context_.accessLog.write(std::move(line));
}

} // namespace gateway::proxy
