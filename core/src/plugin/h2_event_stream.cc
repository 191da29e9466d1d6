// The Events stream as gRPC's wire protocol on nghttp2, driven by the worker's own event loop.
//
// Why not the gRPC library here (plugin-rtt-costs.md, docs/ARCHITECTURE.md): with gRPC's
// CompletionQueue every reply batch crossed three threads (a gRPC poller, the queue's pump, the
// worker via uv_async), and on this kind of machine each sleep/wake costs more CPU than the
// whole plugin round trip's protocol work. Here the worker's epoll sees the socket; a reply is
// parsed and its requests resume in the same loop callback, and events written in one loop
// iteration leave in one writev. The control RPCs (GetInfo, Configure, Shutdown, health) stay
// on the gRPC library (grpc_control.cc): they are rare and off the request path.
//
// One EventStream = one connection = one HTTP/2 stream: POST /gateway.plugin.v1.PluginServer/
// Events with content-type application/grpc and te: trailers; request DATA carries
// length-prefixed EventBatch messages, response DATA length-prefixed ReplyBatch messages, and
// the trailers grpc-status / grpc-message end it (PROTOCOL.md §2).
//
// Re-entrancy: nghttp2 calls back only from inside nghttp2_session_mem_recv/mem_send, and those
// callbacks only record (bytes, headers, close); replies and the close are delivered after
// mem_recv returned. The owner's callbacks run from loop callbacks only (onData, onWriteDrained,
// the connect result, a posted failure); write()/writesDone() never call back.

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <optional>

#include "plugin/arena_message.h"
#include "plugin/event_stream.h"
#include "plugin/grpc_framing.h"

namespace gateway::plugin {
namespace {

constexpr size_t kMaxReplyMessageBytes = 64 * 1024 * 1024;  // As the control channel's limit.
constexpr int32_t kReceiveWindow = 16 * 1024 * 1024;        // Replies never wait for a window.
constexpr size_t kWriteHighWater = 1024 * 1024;
constexpr std::chrono::milliseconds kConnectTimeout(5000);
constexpr char kEventsPath[] = "/gateway.plugin.v1.PluginServer/Events";

struct Target {
  std::string unixPath;  // Set for unix sockets.
  std::string host;
  uint16_t port{0};
  std::string authority;
};

StatusOr<Target> parseAddress(const std::string& address) {
  Target t;
  std::string_view a = address;
  if (a.substr(0, 5) == "unix:") {
    a.remove_prefix(5);
    if (a.substr(0, 2) == "//") {
      a.remove_prefix(2);  // unix:///abs/path -> /abs/path
    }
    t.unixPath = std::string(a);
    t.authority = "localhost";
    return t;
  }
  const size_t colon = a.rfind(':');
  if (colon == std::string_view::npos || colon + 1 == a.size()) {
    return invalidArgument("plugin server address \"" + address +
                           "\" is neither unix:/path nor host:port");
  }
  std::string_view host = a.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  unsigned port = 0;
  const auto portText = a.substr(colon + 1);
  const auto r = std::from_chars(portText.data(), portText.data() + portText.size(), port);
  if (r.ec != std::errc() || r.ptr != portText.data() + portText.size() || port == 0 ||
      port > 65535 || host.empty()) {
    return invalidArgument("plugin server address \"" + address + "\" has no valid host:port");
  }
  t.host = std::string(host);
  t.port = static_cast<uint16_t>(port);
  t.authority = std::string(a);
  return t;
}

nghttp2_nv header(const char* name, const std::string& value) {
  return {reinterpret_cast<uint8_t*>(const_cast<char*>(name)),
          reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), std::strlen(name),
          value.size(), NGHTTP2_NV_FLAG_NONE};
}

class H2EventStream : public EventStream, public event::StreamCallbacks {
public:
  H2EventStream(event::Dispatcher& dispatcher, const std::string& address,
                EventStreamCallbacks& callbacks)
      : dispatcher_(dispatcher), callbacks_(callbacks), alive_(std::make_shared<bool>(true)),
        decoder_(kMaxReplyMessageBytes) {
    auto target = parseAddress(address);
    if (!target) {
      fail(target.status());
      return;
    }
    target_ = std::move(*target);
    auto onConnected = [this](StatusOr<event::TcpStreamPtr>&& result) {
      connectedResult(std::move(result));
    };
    connect_ = target_.unixPath.empty()
                   ? dispatcher_.connectTcp(target_.host, target_.port, kConnectTimeout,
                                            kWriteHighWater, onConnected)
                   : dispatcher_.connectUnix(target_.unixPath, kWriteHighWater, onConnected);
  }

  ~H2EventStream() override {
    *alive_ = false;
    connect_.reset();
    if (tcp_ != nullptr) {
      tcp_->setCallbacks(nullptr);
      tcp_->closeNow();  // The server sees the connection end: the call is cancelled.
    }
    if (session_ != nullptr) {
      nghttp2_session_del(session_);
    }
  }

  void write(std::string_view encodedEvents, const v1::EventBatch& more) override {
    writeInFlight_ = true;
    if (broken_) {
      return;  // pollWriteDone reports the failure; onStreamClosed follows.
    }
    const size_t size = more.ByteSizeLong();
    appendGrpcFrameHeader(out_, static_cast<uint32_t>(encodedEvents.size() + size));
    out_.append(encodedEvents);
    const size_t at = out_.size();
    out_.resize(at + size);
    more.SerializeWithCachedSizesToArray(reinterpret_cast<uint8_t*>(out_.data() + at));
    resumeData();
    sendPending();
  }

  bool pollWriteDone(bool* ok) override {
    if (!writeInFlight_) {
      *ok = !broken_;
      return true;
    }
    if (broken_ || writeDrained()) {
      writeInFlight_ = false;
      notifyWrite_ = false;
      *ok = !broken_;
      return true;
    }
    notifyWrite_ = true;  // onWriteDone follows once nghttp2 and the socket took the bytes.
    return false;
  }

  void writesDone() override {
    if (broken_ || endRequested_) {
      return;
    }
    endRequested_ = true;
    resumeData();
    sendPending();
  }

  // event::StreamCallbacks
  void onData(std::string_view data) override {
    if (session_ == nullptr || broken_) {
      return;
    }
    const ssize_t rv = nghttp2_session_mem_recv(
        session_, reinterpret_cast<const uint8_t*>(data.data()), data.size());
    if (rv < 0) {
      fail(unavailable(std::string("events stream: HTTP/2 protocol error from the plugin "
                                   "server: ") + nghttp2_strerror(static_cast<int>(rv))));
      return;
    }
    sendPending();  // SETTINGS/PING acks, window updates.
    if (!deliverReplies()) {
      return;  // Destroyed, or failed.
    }
    if (streamClosed_ || remoteEnded_) {
      finishStream();  // The server's trailers end the call, whether or not we half-closed.
      return;
    }
    if (nghttp2_session_want_read(session_) == 0 && nghttp2_session_want_write(session_) == 0) {
      // A connection error (nghttp2 sent GOAWAY) or the server's GOAWAY with our stream unused.
      fail(unavailable("events stream: the HTTP/2 session with the plugin server ended (protocol "
                       "error or GOAWAY)"));
      return;
    }
    if (goaway_ && !goawayReported_) {
      goawayReported_ = true;
      auto alive = alive_;
      callbacks_.onStreamGoingAway();
      if (!*alive || broken_) {
        return;
      }
    }
    maybeNotifyWrite();
  }
  void onEof() override {
    fail(unavailable("events stream: the plugin server closed the connection"));
  }
  void onClose(const Status& reason) override {
    tcp_.reset();
    fail(unavailable("events stream connection failed: " + reason.message()));
  }
  void onWriteDrained() override { maybeNotifyWrite(); }

private:
  void connectedResult(StatusOr<event::TcpStreamPtr>&& result) {
    connect_.reset();  // Safe: the request does not touch itself after calling back.
    if (!result) {
      fail(unavailable("events stream: " + result.status().message()));
      return;
    }
    tcp_ = std::move(*result);
    if (Status s = startSession(); !s) {
      fail(std::move(s));
      return;
    }
    tcp_->setCallbacks(this);
    sendPending();
    if (broken_) {
      return;
    }
    callbacks_.onStreamReady();
  }

  Status startSession() {
    nghttp2_session_callbacks* cbs = nullptr;
    if (nghttp2_session_callbacks_new(&cbs) != 0) {
      return unavailable("events stream: out of memory");
    }
    nghttp2_session_callbacks_set_on_header_callback(cbs, &H2EventStream::onHeader);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, &H2EventStream::onDataChunk);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, &H2EventStream::onStreamClose);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, &H2EventStream::onFrame);
    const int rc = nghttp2_session_client_new(&session_, cbs, this);
    nghttp2_session_callbacks_del(cbs);
    if (rc != 0) {
      session_ = nullptr;
      return unavailable("events stream: cannot create an HTTP/2 session");
    }
    const nghttp2_settings_entry settings[] = {
        {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, static_cast<uint32_t>(kReceiveWindow)},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, 64 * 1024},
    };
    nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, std::size(settings));
    nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, kReceiveWindow);
    const std::string method = "POST", scheme = "http", path = kEventsPath,
                      contentType = "application/grpc", te = "trailers",
                      userAgent = "gantry/0.1.0";
    const nghttp2_nv headers[] = {
        header(":method", method),          header(":scheme", scheme),
        header(":path", path),              header(":authority", target_.authority),
        header("content-type", contentType), header("te", te),
        header("user-agent", userAgent),
    };
    nghttp2_data_provider provider{};
    provider.source.ptr = this;
    provider.read_callback = &H2EventStream::readData;
    streamId_ = nghttp2_submit_request(session_, nullptr, headers, std::size(headers), &provider,
                                       this);
    if (streamId_ < 0) {
      return unavailable(std::string("events stream: cannot start the call: ") +
                         nghttp2_strerror(streamId_));
    }
    return Status::ok();
  }

  // nghttp2 pulls request DATA from out_ as the peer's flow-control window allows.
  static ssize_t readData(nghttp2_session*, int32_t, uint8_t* buf, size_t length,
                          uint32_t* flags, nghttp2_data_source*, void* user) {
    auto* self = static_cast<H2EventStream*>(user);
    const size_t available = self->out_.size() - self->outOffset_;
    if (available == 0 && !self->endRequested_) {
      self->deferred_ = true;
      return NGHTTP2_ERR_DEFERRED;
    }
    const size_t n = std::min(available, length);
    std::memcpy(buf, self->out_.data() + self->outOffset_, n);
    self->outOffset_ += n;
    if (self->outOffset_ == self->out_.size()) {
      self->out_.clear();
      self->outOffset_ = 0;
      if (self->endRequested_) {
        *flags |= NGHTTP2_DATA_FLAG_EOF;
      }
    }
    return static_cast<ssize_t>(n);
  }

  static int onHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                      size_t nameLen, const uint8_t* value, size_t valueLen, uint8_t,
                      void* user) {
    auto* self = static_cast<H2EventStream*>(user);
    if (frame->hd.type != NGHTTP2_HEADERS || frame->hd.stream_id != self->streamId_) {
      return 0;
    }
    const std::string_view n(reinterpret_cast<const char*>(name), nameLen);
    const std::string_view v(reinterpret_cast<const char*>(value), valueLen);
    if (n == ":status") {
      self->httpStatus_ = v == "200" ? 200 : -1;
    } else if (n == "content-type") {
      self->grpcContentType_ = v.substr(0, 16) == "application/grpc";
    } else if (n == "grpc-status") {
      int code = -1;
      const auto r = std::from_chars(v.data(), v.data() + v.size(), code);
      self->grpcStatus_ = r.ec == std::errc() && r.ptr == v.data() + v.size() ? code : -1;
    } else if (n == "grpc-message") {
      self->grpcMessage_ = decodeGrpcMessage(v.substr(0, 1024));
    }
    return 0;
  }

  static int onDataChunk(nghttp2_session*, uint8_t, int32_t streamId, const uint8_t* data,
                         size_t len, void* user) {
    auto* self = static_cast<H2EventStream*>(user);
    if (streamId == self->streamId_) {
      self->decoder_.feed(std::string_view(reinterpret_cast<const char*>(data), len));
    }
    return 0;
  }

  static int onFrame(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    auto* self = static_cast<H2EventStream*>(user);
    if (frame->hd.type == NGHTTP2_GOAWAY) {
      self->goaway_ = true;
    }
    if (frame->hd.stream_id == self->streamId_ && (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) &&
        (frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA)) {
      self->remoteEnded_ = true;
    }
    return 0;
  }

  static int onStreamClose(nghttp2_session*, int32_t streamId, uint32_t errorCode, void* user) {
    auto* self = static_cast<H2EventStream*>(user);
    if (streamId == self->streamId_) {
      self->streamClosed_ = true;
      self->resetCode_ = errorCode;
    }
    return 0;
  }

  void resumeData() {
    if (deferred_ && session_ != nullptr) {
      deferred_ = false;
      nghttp2_session_resume_data(session_, streamId_);
    }
  }

  // Serializes every frame nghttp2 has ready into one write.
  void sendPending() {
    if (session_ == nullptr || tcp_ == nullptr || broken_) {
      return;
    }
    std::string chunk;
    for (;;) {
      const uint8_t* data = nullptr;
      const ssize_t n = nghttp2_session_mem_send(session_, &data);
      if (n < 0) {
        fail(unavailable(std::string("events stream: HTTP/2 send failed: ") +
                         nghttp2_strerror(static_cast<int>(n))));
        return;
      }
      if (n == 0) {
        break;
      }
      chunk.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
    }
    if (!chunk.empty()) {
      if (Status s = tcp_->write(std::move(chunk)); !s) {
        fail(unavailable("events stream: write failed: " + s.message()));
      }
    }
  }

  // Decodes and delivers every complete ReplyBatch. False when this stream was destroyed by a
  // callback or has failed.
  bool deliverReplies() {
    std::string_view message;
    while (decoder_.next(&message)) {
      in_.reset();
      if (!in_->ParseFromArray(message.data(), static_cast<int>(message.size()))) {
        fail(unavailable("events stream: the plugin server sent a malformed ReplyBatch"));
        return false;
      }
      auto alive = alive_;
      callbacks_.onReplies(in_.get());
      if (!*alive || broken_) {
        return false;
      }
    }
    if (!decoder_.status()) {
      fail(unavailable("events stream: " + decoder_.status().message()));
      return false;
    }
    return true;
  }

  bool writeDrained() const {
    return out_.size() == outOffset_ && tcp_ != nullptr && !tcp_->writeBufferFull();
  }

  void maybeNotifyWrite() {
    if (notifyWrite_ && writeInFlight_ && !broken_ && writeDrained()) {
      notifyWrite_ = false;
      writeInFlight_ = false;
      callbacks_.onWriteDone(true);
    }
  }

  // The server ended the call: OK only with a clean end and grpc-status 0.
  void finishStream() {
    Status status = Status::ok();
    if (streamClosed_ && resetCode_ != NGHTTP2_NO_ERROR) {
      status = unavailable("events stream reset by the plugin server (HTTP/2 error " +
                           std::to_string(resetCode_) + ")");
    } else if (httpStatus_ != 200 || !grpcContentType_) {
      status = unavailable("events stream: the plugin server did not answer as a gRPC server");
    } else if (grpcStatus_ != 0) {
      status = unavailable("events stream ended: " +
                           (grpcStatus_ < 0 ? std::string("no grpc-status")
                                            : "grpc status " + std::to_string(grpcStatus_) +
                                                  (grpcMessage_.empty() ? "" : ": ") +
                                                  grpcMessage_));
    } else if (decoder_.pendingBytes() > 0) {
      status = unavailable("events stream ended inside a message");
    }
    broken_ = true;
    report(std::move(status));
  }

  // The stream is broken: no more I/O; onStreamClosed is delivered from a posted callback (a
  // failure can be found inside write(), where the owner must not be called back).
  void fail(Status status) {
    if (broken_) {
      return;
    }
    broken_ = true;
    report(std::move(status));
  }

  void report(Status status) {
    if (tcp_ != nullptr) {
      tcp_->setCallbacks(nullptr);
      tcp_->closeNow();
    }
    dispatcher_.post([this, alive = alive_, status = std::move(status)] {
      if (*alive && !reported_) {
        reported_ = true;
        callbacks_.onStreamClosed(status);
      }
    });
  }

  event::Dispatcher& dispatcher_;
  EventStreamCallbacks& callbacks_;
  std::shared_ptr<bool> alive_;  // False once destroyed (checked by posted closures).
  Target target_;
  event::ConnectRequestPtr connect_;
  event::TcpStreamPtr tcp_;
  nghttp2_session* session_{nullptr};  // Owned; deleted in the destructor.
  int32_t streamId_{-1};

  std::string out_;        // Framed EventBatches not yet taken by nghttp2.
  size_t outOffset_{0};
  bool deferred_{false};   // The data provider returned DEFERRED: resume on the next write.
  bool endRequested_{false};
  bool writeInFlight_{false};
  bool notifyWrite_{false};

  GrpcFrameDecoder decoder_;
  ArenaMessage<v1::ReplyBatch> in_{64 * 1024};  // Parsed without a malloc per reply.
  int httpStatus_{0};
  bool grpcContentType_{false};
  int grpcStatus_{-1};
  std::string grpcMessage_;
  bool streamClosed_{false};
  bool remoteEnded_{false};  // The server's END_STREAM (its trailers) arrived.
  bool goaway_{false};          // The server sent GOAWAY (onStreamGoingAway once).
  bool goawayReported_{false};
  uint32_t resetCode_{0};
  bool broken_{false};
  bool reported_{false};
};

} // namespace

EventStreamPtr openEventStream(event::Dispatcher& dispatcher, const std::string& address,
                               EventStreamCallbacks& callbacks) {
  return std::make_unique<H2EventStream>(dispatcher, address, callbacks);
}

} // namespace gateway::plugin
