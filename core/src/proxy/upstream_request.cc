#include "proxy/upstream_request.h"

#include "gateway/http1/codec.h"
#include "proxy/worker_context.h"

namespace gateway::proxy {

UpstreamRequest::UpstreamRequest(WorkerContext& context, UpstreamRequestCallbacks& callbacks,
                                 upstream::Endpoint target, UpstreamTimeouts timeouts)
    : context_(context), callbacks_(callbacks), target_(std::move(target)), timeouts_(timeouts) {}

UpstreamRequest::~UpstreamRequest() { cancel(); }

void UpstreamRequest::cancel() {
  done_ = true;
  connect_.reset();
  if (connection_ && tunnel_) {
    connection_->setUser(nullptr);
    connection_->timer().disable();
    context_.pool.closeGracefully(std::move(connection_));  // Flush what the client sent last.
  } else if (connection_) {
    // Mid-exchange: the connection's state is unknown, never reuse it.
    connection_->markNotReusable();
    dropConnection();
  }
}

void UpstreamRequest::start(std::string&& head, std::string_view method,
                            headers::BodyFraming bodyFraming, bool freshConnection) {
  pendingHead_ = std::move(head);
  method_.assign(method);
  framing_ = bodyFraming;
  if (!freshConnection) {
    if (UpstreamConnectionPtr pooled = context_.pool.acquire(target_)) {
      reused_ = true;
      onConnected(std::move(pooled));
      return;
    }
  }
  const auto& limits = context_.settings().limits;
  connect_ = context_.dispatcher.connectTcp(
      target_.host, target_.port, timeouts_.connect, limits.bufferBytes,
      [this](StatusOr<event::TcpStreamPtr>&& result) {
        connect_.reset();
        if (!result.isOk()) {
          const Status& s = result.status();
          fail(s.code() == StatusCode::DeadlineExceeded ? UpstreamFailureKind::ConnectTimeout
                                                        : UpstreamFailureKind::ConnectFailed,
               s.message());
          return;
        }
        http1::DecoderLimits decoderLimits;
        decoderLimits.maxHeaderBytes = context_.settings().limits.maxHeaderBytes;
        decoderLimits.maxHeaderCount = context_.settings().limits.maxHeaderCount;
        onConnected(std::make_unique<UpstreamConnection>(
            context_.dispatcher, std::move(result).value(), target_, decoderLimits));
      });
}

void UpstreamRequest::onConnected(UpstreamConnectionPtr connection) {
  connection_ = std::move(connection);
  connection_->setUser(this);
  connection_->countRequest();
  connection_->decoder().expectResponseTo(method_);
  write(std::move(pendingHead_));
  if (done_) {
    return;
  }
  if (framing_ == headers::BodyFraming::None) {
    requestComplete_ = true;
  }
  armTimer();
  callbacks_.onUpstreamReady();
}

void UpstreamRequest::write(std::string&& bytes) {
  if (!connection_ || done_) {
    return;
  }
  Status s = connection_->stream().write(std::move(bytes));
  if (!s.isOk()) {
    fail(UpstreamFailureKind::Reset, s.message());
  }
}

void UpstreamRequest::sendBody(std::string_view data) {
  if (data.empty() || done_ || !connection_) {
    return;
  }
  bodyBytesSent_ += data.size();
  if (framing_ == headers::BodyFraming::Chunked) {
    std::string chunk;
    chunk.reserve(data.size() + 16);
    http1::encodeChunk(data, chunk);
    write(std::move(chunk));
  } else {
    write(std::string(data));
  }
  armTimer();
}

void UpstreamRequest::endBody() {
  if (done_ || !connection_ || requestComplete_) {
    return;
  }
  requestComplete_ = true;
  if (framing_ == headers::BodyFraming::Chunked) {
    std::string last;
    http1::encodeLastChunk(last);
    write(std::move(last));
  }
  armTimer();
}

bool UpstreamRequest::writeBufferFull() const {
  return connection_ && connection_->stream().writeBufferFull();
}

void UpstreamRequest::readDisable(bool disable) {
  if (!connection_ || readPaused_ == disable) {
    return;
  }
  readPaused_ = disable;
  connection_->stream().readDisable(disable);
  armTimer();
}

void UpstreamRequest::sendTunnel(std::string_view data) {
  if (connection_ && !data.empty()) {
    write(std::string(data));
  }
}

void UpstreamRequest::shutdownTunnel() {
  if (connection_) {
    connection_->stream().shutdownWrite();
  }
}

// One timer per connection, in one of two roles: the write timeout while the upstream write
// buffer is full, else the read timeout once the request is fully sent and the response is being
// read (not while paused by the client, nor in a tunnel).
void UpstreamRequest::armTimer() {
  if (!connection_ || done_) {
    return;
  }
  event::Timer& timer = connection_->timer();
  if (tunnel_) {
    timer.disable();
  } else if (connection_->stream().writeBufferFull()) {
    timer.enable(timeouts_.write);
  } else if (requestComplete_ && !readPaused_ && !responseComplete_) {
    timer.enable(timeouts_.read);
  } else {
    timer.disable();
  }
}

void UpstreamRequest::onUpstreamTimer() {
  if (connection_ && connection_->stream().writeBufferFull()) {
    fail(UpstreamFailureKind::WriteTimeout, "upstream write timeout");
  } else {
    fail(UpstreamFailureKind::ReadTimeout, "upstream read timeout");
  }
}

void UpstreamRequest::onUpstreamData(std::string_view data) {
  if (done_) {
    return;
  }
  if (tunnel_) {
    callbacks_.onUpstreamTunnelData(data);
    return;
  }
  http1::DecodeResult r = connection_->decoder().decode(data);
  if (done_) {
    return;
  }
  switch (r.status) {
  case http1::DecodeStatus::Ok:
    break;
  case http1::DecodeStatus::MessageComplete:
    if (r.consumed < data.size()) {
      connection_->markNotReusable();  // Bytes after the response: not HTTP we asked for.
    }
    callbacks_.onUpstreamReadDone();
    finishExchange();
    return;
  case http1::DecodeStatus::Upgrade:
    tunnel_ = true;
    connection_->markNotReusable();
    armTimer();
    callbacks_.onUpstreamReadDone();
    if (r.consumed < data.size() && !done_) {
      callbacks_.onUpstreamTunnelData(data.substr(r.consumed));
    }
    return;
  case http1::DecodeStatus::Error:
    fail(UpstreamFailureKind::BadResponse, r.errorReason);
    return;
  }
  armTimer();
  callbacks_.onUpstreamReadDone();
}

void UpstreamRequest::onUpstreamEof() {
  if (done_) {
    return;
  }
  if (tunnel_) {
    callbacks_.onUpstreamTunnelClosed();
    return;
  }
  connection_->markNotReusable();
  http1::DecodeResult r = connection_->decoder().finish();
  if (done_) {
    return;
  }
  if (r.status == http1::DecodeStatus::MessageComplete || responseComplete_) {
    callbacks_.onUpstreamReadDone();
    finishExchange();
    return;
  }
  fail(r.status == http1::DecodeStatus::Error && responseStarted_ ? UpstreamFailureKind::BadResponse
                                                                  : UpstreamFailureKind::Reset,
       r.errorReason.empty() ? "upstream closed the connection" : r.errorReason);
}

void UpstreamRequest::onUpstreamClosed(const Status& reason) {
  if (done_) {
    return;
  }
  if (tunnel_) {
    done_ = true;
    tunnel_ = false;
    dropConnection();
    callbacks_.onUpstreamTunnelClosed();
    return;
  }
  fail(UpstreamFailureKind::Reset, reason.message());
}

void UpstreamRequest::onUpstreamWriteDrained() {
  if (done_) {
    return;
  }
  armTimer();
  callbacks_.onUpstreamWriteDrained();
}

void UpstreamRequest::onInformational(http::ResponseHead&&) {
  // The gateway answers 100-continue to the client itself and strips Expect upstream, so interim
  // responses are dropped (policy written at the top of stream.cc).
  responseStarted_ = true;
}

void UpstreamRequest::onResponseHead(http::ResponseHead&& head) {
  responseStarted_ = true;
  callbacks_.onUpstreamResponseHead(std::move(head));
}

void UpstreamRequest::onResponseBody(std::string_view data) {
  callbacks_.onUpstreamResponseBody(data);
}

void UpstreamRequest::onResponseComplete() { responseComplete_ = true; }

void UpstreamRequest::finishExchange() {
  if (done_) {
    return;
  }
  done_ = true;
  responseComplete_ = true;
  connection_->timer().disable();
  if (!requestComplete_) {
    connection_->markNotReusable();  // Answered before the whole request was sent.
  }
  connection_->setUser(nullptr);
  context_.pool.release(std::move(connection_));
  callbacks_.onUpstreamResponseComplete();
}

void UpstreamRequest::fail(UpstreamFailureKind kind, std::string detail) {
  if (done_) {
    return;
  }
  done_ = true;
  UpstreamFailure failure;
  failure.kind = kind;
  failure.responseStarted = responseStarted_;
  failure.reusedConnection = reused_;
  failure.bodyBytesSent = bodyBytesSent_;
  failure.detail = std::move(detail);
  connect_.reset();
  if (connection_) {
    connection_->markNotReusable();
    dropConnection();
  }
  callbacks_.onUpstreamFailure(failure);
}

void UpstreamRequest::dropConnection() {
  connection_->setUser(nullptr);
  connection_->timer().disable();
  context_.deleter.deferDelete(std::move(connection_));
}

} // namespace gateway::proxy
