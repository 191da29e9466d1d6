#include "proxy/connection_manager.h"

#include "proxy/access_log_line.h"
#include "proxy/headers.h"
#include "proxy/local_reply.h"

namespace gateway::proxy {

namespace {
constexpr std::chrono::milliseconds kLingerTimeout{2000};

http1::DecoderLimits decoderLimits(const config::Limits& l) {
  http1::DecoderLimits d;
  d.maxRequestLineBytes = l.maxRequestLineBytes;
  d.maxHeaderBytes = l.maxHeaderBytes;
  d.maxHeaderCount = l.maxHeaderCount;
  return d;
}
} // namespace

ConnectionManager::ConnectionManager(WorkerContext& context, ConnectionRegistry& registry,
                                     event::TcpStreamPtr socket)
    : context_(context), registry_(registry), socket_(std::move(socket)),
      decoder_(http1::createRequestDecoder(*this, decoderLimits(context.settings().limits))),
      timer_(context.dispatcher.createTimer([this] { onTimer(); })) {
  client_.ip = socket_->peerAddress();
  client_.port = socket_->peerPort();
  client_.localPort = socket_->localPort();
}

ConnectionManager::~ConnectionManager() {
  stream_.reset();
  if (socket_) {
    socket_->setCallbacks(nullptr);
  }
}

void ConnectionManager::start() {
  socket_->setCallbacks(this);
  readingDisabled_ = true;
  updateReading();
  updateTimer(true);
}

void ConnectionManager::drain() {
  if (closing_) {
    return;
  }
  if (!stream_ && !decoder_->messageInProgress()) {
    closeNow();
    return;
  }
  closeAfterStream_ = true;  // The Stream also sees context.draining and says Connection: close.
}

void ConnectionManager::closeNow() {
  if (closed_) {
    return;
  }
  closed_ = true;
  closing_ = true;
  if (stream_ && !stream_->done()) {
    stream_->onClientAbort();
  }
  timer_->disable();
  socket_->setCallbacks(nullptr);
  socket_->closeNow();
  registry_.onConnectionClosed(*this);
}

// --- Input ------------------------------------------------------------------------------------

std::string_view ConnectionManager::input() const {
  if (!external_.empty()) {
    return external_;
  }
  return std::string_view(input_).substr(inputOffset_);
}

void ConnectionManager::consumeInput(size_t n) {
  if (!external_.empty()) {
    external_.remove_prefix(n);
    return;
  }
  inputOffset_ += n;
  if (inputOffset_ >= input_.size()) {
    input_.clear();
    inputOffset_ = 0;
  }
}

void ConnectionManager::onData(std::string_view data) {
  if (closing_) {
    return;  // Lingering close: discard.
  }
  if (tunnel_) {
    if (stream_) {
      stream_->onTunnelData(data);
    }
    updateReading();
    return;
  }
  if (inputOffset_ < input_.size()) {
    input_.append(data);
    drive();
  } else {
    external_ = data;
    drive();
    if (!external_.empty() && !closed_) {
      input_.assign(external_);
      inputOffset_ = 0;
    }
    external_ = {};
  }
  if (!closed_) {
    updateTimer(true);
  }
}

// The connection's loop: decode what is buffered, one request at a time, and move to the next
// request when the current stream is done. Re-entrant calls (a stream completing inside a decoder
// callback) only set flags; this loop acts on them.
void ConnectionManager::drive() {
  if (dispatching_ || closed_) {
    return;
  }
  dispatching_ = true;
  while (!closing_) {
    if (stream_ && streamDone_) {
      if (!finishStream()) {
        break;
      }
      continue;
    }
    if (upgradeRequested_ || (stream_ && messageDone_)) {
      break;  // Pipelined bytes wait until the response is complete.
    }
    std::string_view data = input();
    if (data.empty()) {
      break;
    }
    http1::DecodeResult r = decoder_->decode(data);
    consumeInput(r.status == http1::DecodeStatus::Ok ? data.size() : r.consumed);
    if (!stream_ && !closing_ && timerRole_ != TimerRole::Header &&
        r.status == http1::DecodeStatus::Ok && decoder_->messageInProgress()) {
      // Part of a head: the header timeout runs from its first byte (from accept for the first
      // request: the Header timer is already running then). A head that arrived whole created
      // the stream inside decode() and needs no timer.
      setTimer(TimerRole::Header, context_.settings().limits.clientHeaderTimeout, true);
    }
    if (r.status == http1::DecodeStatus::MessageComplete) {
      messageDone_ = true;
    } else if (r.status == http1::DecodeStatus::Upgrade) {
      messageDone_ = true;
      upgradeRequested_ = true;
    } else if (r.status == http1::DecodeStatus::Error) {
      codecError(r);
    }
  }
  dispatching_ = false;
  if (!closed_) {
    updateReading();
    updateTimer(false);
  }
}

// The current response is complete: destroy the stream (deferred) and either close or get ready
// for the next request. Returns false when the connection is closing.
bool ConnectionManager::finishStream() {
  context_.deleter.deferDelete(std::move(stream_));
  streamDone_ = false;
  const bool bodyUnread = !messageDone_;
  if (closeAfterStream_ || bodyUnread || upgradeRequested_ || clientEof_ || context_.draining) {
    startClosing(bodyUnread && !clientEof_);
    return false;
  }
  messageDone_ = false;
  decoder_->resume();
  return true;
}

void ConnectionManager::codecError(const http1::DecodeResult& r) {
  const int status = r.errorStatus != 0 ? r.errorStatus : 400;
  if (stream_) {
    stream_->onClientProtocolError(status);
    closeAfterStream_ = true;
    messageDone_ = false;
    return;
  }
  // No request yet (bad head): answer here, log, close.
  RequestState state;
  state.clientIp = client_.ip;
  state.clientPort = client_.port;
  state.port = client_.localPort;
  state.startedAt = std::chrono::system_clock::now();
  char id[17];
  std::snprintf(id, sizeof(id), "%016llx",
                static_cast<unsigned long long>(context_.nextRequestId()));
  LocalReply reply = makeDefaultReply(status);
  http::ResponseHead head;
  head.status = status;
  head.headers = std::move(reply.headers);
  const auto& settings = context_.settings();
  headers::decorateLocalResponse(head, id, settings.serverTokens, settings.latencyHeaders, 0);
  headers::setClientFraming(head, headers::ClientFraming::ContentLength, reply.body.size(), false,
                            1, false);
  std::string out;
  http1::encodeResponseHead(head, out);
  out += reply.body;
  state.bytesSent = out.size();
  writeToClient(std::move(out));
  if (settings.log.accessLog != "off") {
    AccessLogFields fields;
    fields.requestId = id;
    fields.status = status;
    std::string line;
    if (settings.log.accessLogFormat == config::LogFormat::Json) {
      appendAccessLogLine(state, fields, line);
    } else {
      appendAccessLogText(state, fields, line);
    }
    context_.accessLog.write(std::move(line));
  }
  startClosing(false);
}

// Graceful close. With `linger`, the client may still be sending a body we never read: closing
// at once would reset the connection and could destroy the response in flight, so the write side
// is shut down and incoming bytes are discarded for a short while (nginx's lingering close).
void ConnectionManager::startClosing(bool linger) {
  if (closing_) {
    return;
  }
  closing_ = true;
  if (linger) {
    socket_->shutdownWrite();
    setTimer(TimerRole::Linger, kLingerTimeout, true);
    readingDisabled_ = true;
    updateReading();
  } else {
    setTimer(TimerRole::Linger, context_.settings().limits.clientBodyTimeout, true);
    socket_->closeAfterWrite();
  }
}

void ConnectionManager::onEof() {
  clientEof_ = true;
  if (closing_) {
    closeNow();
    return;
  }
  if (tunnel_) {
    if (stream_) {
      stream_->onClientTunnelEof();
    }
    return;
  }
  if (!stream_ || !messageDone_ || !stream_->responseStarted()) {
    // Idle, mid-head or mid-body (nothing more can be answered), or a complete request whose
    // response has not started: the client went away. As nginx (499 with its default
    // proxy_ignore_client_abort off) and Envoy (no downstream half-close) do, stop now: plugin
    // calls are cancelled (their handlers' contexts end) and the upstream request is reset.
    closeNow();
    return;
  }
  closeAfterStream_ = true;  // The response started: finish it, then close.
}

void ConnectionManager::onClose(const Status&) {
  if (closed_) {
    return;
  }
  closeNow();
}

void ConnectionManager::onWriteDrained() {
  if (stream_) {
    stream_->onClientWriteDrained();
  }
  if (!closing_) {
    updateTimer(false);
  }
}

// --- Decoder callbacks ----------------------------------------------------------------------

void ConnectionManager::onRequestHead(http::RequestHead&& head) {
  const uint64_t headBytes = head.path.size() + head.rawQuery.size() + head.method.size() + 12 +
                             head.headers.byteSize() + 2;
  requestSeen_ = true;
  stream_ = std::make_unique<Stream>(context_, *this, context_.snapshot, client_);
  streamDone_ = false;
  setTimer(TimerRole::None, std::chrono::milliseconds(0), false);
  stream_->start(std::move(head), headBytes);
}

void ConnectionManager::onRequestBody(std::string_view data) {
  if (stream_) {
    stream_->onRequestBody(data);
  }
}

void ConnectionManager::onRequestComplete() {
  if (stream_) {
    stream_->onRequestComplete();
  }
}

// --- StreamOwner --------------------------------------------------------------------------------

void ConnectionManager::writeToClient(std::string&& bytes) {
  if (!closed_) {
    (void)socket_->write(std::move(bytes));
  }
}

bool ConnectionManager::clientWriteBufferFull() const { return socket_->writeBufferFull(); }

void ConnectionManager::onStreamReadInterestChanged() {
  if (!closed_ && !dispatching_) {
    updateReading();
    updateTimer(false);
  }
}

void ConnectionManager::onStreamComplete(bool closeConnection) {
  streamDone_ = true;
  if (closeConnection) {
    closeAfterStream_ = true;
  }
  if (tunnel_) {
    tunnel_ = false;
    closeAfterStream_ = true;
  }
  drive();
}

void ConnectionManager::onStreamUpgraded() {
  tunnel_ = true;
  setTimer(TimerRole::None, std::chrono::milliseconds(0), false);
  std::string_view rest = input();
  if (!rest.empty()) {
    std::string bytes(rest);
    consumeInput(rest.size());
    stream_->onTunnelData(bytes);
  }
  updateReading();
}

void ConnectionManager::shutdownClientWrite() { socket_->shutdownWrite(); }

// --- Reading and timers ---------------------------------------------------------------------

void ConnectionManager::updateReading() {
  if (closed_) {
    return;
  }
  bool want;
  if (closing_) {
    want = timerRole_ == TimerRole::Linger;
  } else if (tunnel_) {
    want = stream_ && stream_->wantsRequestData();
  } else if (!stream_) {
    want = !upgradeRequested_;
  } else if (messageDone_) {
    // The request is read; keep reading (no read stop/start syscalls per request) and hold
    // pipelined bytes, up to one buffer's worth.
    want = !upgradeRequested_ && input().size() < context_.settings().limits.bufferBytes;
  } else {
    want = stream_->wantsRequestData();
  }
  if (want == !readingDisabled_) {
    return;
  }
  readingDisabled_ = !want;
  socket_->readDisable(!want);
}

void ConnectionManager::updateTimer(bool rearm) {
  if (closing_ || closed_) {
    return;
  }
  const config::Limits& limits = context_.settings().limits;
  if (tunnel_) {
    setTimer(TimerRole::None, std::chrono::milliseconds(0), false);
  } else if (!stream_) {
    // Before the first request the header timeout runs from accept (nginx; a connection that
    // never sends a byte is a slowloris, not a keep-alive client); between requests the
    // keep-alive timeout applies until a byte of the next head arrives.
    if (!requestSeen_ || decoder_->messageInProgress() || !input().empty()) {
      setTimer(TimerRole::Header, limits.clientHeaderTimeout, false);
    } else {
      setTimer(TimerRole::KeepAlive, limits.keepaliveTimeout, false);
    }
  } else if (socket_->writeBufferFull()) {
    setTimer(TimerRole::Send, limits.clientBodyTimeout, false);
  } else if (!messageDone_ && !readingDisabled_) {
    setTimer(TimerRole::Body, limits.clientBodyTimeout, rearm);
  } else {
    setTimer(TimerRole::None, std::chrono::milliseconds(0), false);
  }
}

void ConnectionManager::setTimer(TimerRole role, std::chrono::milliseconds timeout, bool rearm) {
  if (role == timerRole_ && !rearm) {
    return;
  }
  timerRole_ = role;
  if (role == TimerRole::None) {
    timer_->disable();
  } else {
    timer_->enable(timeout);
  }
}

void ConnectionManager::onTimer() {
  const TimerRole role = timerRole_;
  timerRole_ = TimerRole::None;
  switch (role) {
  case TimerRole::None: return;
  case TimerRole::KeepAlive:
  case TimerRole::Send:
  case TimerRole::Linger: closeNow(); return;
  case TimerRole::Header: {
    if (!requestSeen_ && !decoder_->messageInProgress() && input().empty()) {
      closeNow();  // Not a byte since accept: close silently, as nginx does (no 408, no log).
      return;
    }
    http1::DecodeResult r;
    r.status = http1::DecodeStatus::Error;
    r.errorStatus = 408;
    codecError(r);
    return;
  }
  case TimerRole::Body:
    if (stream_) {
      closeAfterStream_ = true;
      stream_->onClientTimeout();
    } else {
      closeNow();
    }
    return;
  }
}

} // namespace gateway::proxy
