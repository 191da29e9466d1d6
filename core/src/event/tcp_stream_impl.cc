#include "event/tcp_stream_impl.h"

#include "event/uv_status.h"

namespace gateway::event {

struct TcpStreamImpl::WriteOp {
  uv_write_t req{};
  std::vector<std::string> chunks;  // Kept alive until libuv is done with them.
};

struct TcpStreamImpl::ShutdownOp {
  uv_shutdown_t req{};
};

void sockaddrToString(const sockaddr* sa, std::string& address, uint16_t& port) {
  char text[INET6_ADDRSTRLEN] = {0};
  if (sa->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    uv_ip4_name(in, text, sizeof(text));
    port = ntohs(in->sin_port);
  } else if (sa->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    uv_ip6_name(in6, text, sizeof(text));
    port = ntohs(in6->sin6_port);
  } else if (sa->sa_family == AF_UNIX) {
    address = "unix";
    port = 0;
    return;
  }
  address = text;
}

TcpStreamImpl::TcpStreamImpl(DispatcherImpl& dispatcher, Box* box, size_t writeHighWater)
    : dispatcher_(dispatcher), box_(box), highWater_(writeHighWater),
      lowWater_(writeHighWater / 2) {
  box_->owner = this;
  uv_tcp_nodelay(&box_->handle, 1);
  sockaddr_storage ss{};
  int len = sizeof(ss);
  if (uv_tcp_getpeername(&box_->handle, reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
    sockaddrToString(reinterpret_cast<sockaddr*>(&ss), peerAddress_, peerPort_);
  }
  len = sizeof(ss);
  std::string local;
  if (uv_tcp_getsockname(&box_->handle, reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
    sockaddrToString(reinterpret_cast<sockaddr*>(&ss), local, localPort_);
  }
}

TcpStreamImpl::~TcpStreamImpl() { releaseHandle(); }

void TcpStreamImpl::releaseHandle() {
  if (flushScheduled_) {
    dispatcher_.cancelFlush(this);
    flushScheduled_ = false;
  }
  if (box_ != nullptr) {
    closeBox(box_);
    box_ = nullptr;
  }
  reading_ = false;
  pending_.clear();
  pendingBytes_ = 0;
}

void TcpStreamImpl::setCallbacks(StreamCallbacks* callbacks) {
  callbacks_ = callbacks;
  updateReading();
}

void TcpStreamImpl::readDisable(bool disable) {
  readDisabled_ = disable;
  updateReading();
}

void TcpStreamImpl::updateReading() {
  bool want = box_ != nullptr && callbacks_ != nullptr && !readDisabled_ && !eof_ &&
              !closeAfterWrite_;
  if (want == reading_) {
    return;
  }
  if (want) {
    int rc = uv_read_start(
        box_->stream(),
        [](uv_handle_t* h, size_t, uv_buf_t* buf) {
          Box* box = Box::from(reinterpret_cast<uv_tcp_t*>(h));
          if (box->owner == nullptr) {
            *buf = uv_buf_init(nullptr, 0);  // Makes libuv report UV_ENOBUFS; we ignore it.
            return;
          }
          *buf = uv_buf_init(box->owner->dispatcher_.readBuffer(),
                             DispatcherImpl::kReadBufferSize);
        },
        &TcpStreamImpl::onRead);
    reading_ = rc == 0;
  } else {
    uv_read_stop(box_->stream());
    reading_ = false;
  }
}

void TcpStreamImpl::onRead(uv_stream_t* handle, ssize_t nread, const uv_buf_t*) {
  Box* box = Box::from(reinterpret_cast<uv_tcp_t*>(handle));
  TcpStreamImpl* self = box->owner;
  if (self == nullptr || nread == 0) {
    return;
  }
  if (nread > 0) {
    if (self->callbacks_ != nullptr) {
      self->callbacks_->onData(
          std::string_view(self->dispatcher_.readBuffer(), static_cast<size_t>(nread)));
    }
    return;
  }
  if (nread == UV_EOF) {
    self->eof_ = true;
    self->updateReading();
    if (self->callbacks_ != nullptr) {
      self->callbacks_->onEof();
    }
    return;
  }
  self->closeWithReason(uvStatus(static_cast<int>(nread), "read"));
}

Status TcpStreamImpl::write(std::string&& data) {
  if (box_ == nullptr) {
    return unavailable("write: stream is closed");
  }
  if (shutdownRequested_) {
    return invalidArgument("write: stream is shutting down");
  }
  if (data.empty()) {
    return Status::ok();
  }
  pendingBytes_ += data.size();
  pending_.push_back(std::move(data));
  if (writeBufferFull()) {
    aboveHighWater_ = true;
  }
  scheduleFlush();
  return Status::ok();
}

void TcpStreamImpl::scheduleFlush() {
  if (!flushScheduled_ && !writeInFlight_ && box_ != nullptr) {
    flushScheduled_ = true;
    dispatcher_.scheduleFlush(this);
  }
}

size_t TcpStreamImpl::bufferedBytes() const {
  size_t queued = box_ != nullptr ? uv_stream_get_write_queue_size(
                                        reinterpret_cast<const uv_stream_t*>(&box_->handle))
                                  : 0;
  return pendingBytes_ + queued;
}

bool TcpStreamImpl::writeBufferFull() const { return bufferedBytes() > highWater_; }

void TcpStreamImpl::flushNow() {
  flushScheduled_ = false;
  if (box_ == nullptr || writeInFlight_) {
    return;
  }
  if (pending_.empty()) {
    maybeShutdown();
    return;
  }
  // Fast path: libuv holds nothing queued for this stream, so write at once with uv_try_write. A
  // write that completes needs no write request and no completion callback, and leaves the epoll
  // registration alone (a completed uv_write costs one epoll_ctl in libuv's uv__drain).
  if (uv_stream_get_write_queue_size(box_->stream()) == 0) {
    constexpr size_t kInline = 8;
    uv_buf_t inlineBufs[kInline];
    std::vector<uv_buf_t> heapBufs;
    uv_buf_t* bufs = inlineBufs;
    if (pending_.size() > kInline) {
      heapBufs.resize(pending_.size());
      bufs = heapBufs.data();
    }
    for (size_t i = 0; i < pending_.size(); ++i) {
      bufs[i] = uv_buf_init(pending_[i].data(), static_cast<unsigned int>(pending_[i].size()));
    }
    int rc = uv_try_write(box_->stream(), bufs, static_cast<unsigned int>(pending_.size()));
    if (rc >= 0 && static_cast<size_t>(rc) == pendingBytes_) {
      pending_.clear();
      pendingBytes_ = 0;
      afterWrite();  // As after a completed uv_write; may run callbacks: touch nothing after.
      return;
    }
    if (rc > 0) {
      size_t written = static_cast<size_t>(rc);
      pendingBytes_ -= written;
      size_t whole = 0;
      while (whole < pending_.size() && pending_[whole].size() <= written) {
        written -= pending_[whole].size();
        ++whole;
      }
      pending_.erase(pending_.begin(), pending_.begin() + static_cast<ptrdiff_t>(whole));
      if (written > 0) {
        pending_.front().erase(0, written);
      }
    } else if (rc != UV_EAGAIN && rc != UV_ENOSYS) {
      closeWithReason(uvStatus(rc, "write"));
      return;
    }
  }
  auto* op = new WriteOp;
  op->chunks.swap(pending_);
  pendingBytes_ = 0;
  std::vector<uv_buf_t> bufs;
  bufs.reserve(op->chunks.size());
  for (auto& chunk : op->chunks) {
    bufs.push_back(uv_buf_init(chunk.data(), static_cast<unsigned int>(chunk.size())));
  }
  int rc = uv_write(&op->req, box_->stream(), bufs.data(), static_cast<unsigned int>(bufs.size()),
                    &TcpStreamImpl::onWriteDone);
  if (rc != 0) {
    delete op;
    closeWithReason(uvStatus(rc, "write"));
    return;
  }
  writeInFlight_ = true;
}

void TcpStreamImpl::onWriteDone(uv_write_t* req, int status) {
  auto* op = reinterpret_cast<WriteOp*>(req);
  Box* box = Box::from(reinterpret_cast<uv_tcp_t*>(req->handle));
  delete op;
  TcpStreamImpl* self = box->owner;
  if (self == nullptr) {
    return;  // Closed meanwhile (status is UV_ECANCELED).
  }
  self->writeInFlight_ = false;
  if (status < 0) {
    self->closeWithReason(uvStatus(status, "write"));
    return;
  }
  self->afterWrite();
}

void TcpStreamImpl::afterWrite() {
  Box* box = box_;
  if (!pending_.empty()) {
    flushNow();
    if (box->owner != this) {
      return;
    }
  }
  if (aboveHighWater_ && bufferedBytes() <= lowWater_) {
    aboveHighWater_ = false;
    if (callbacks_ != nullptr) {
      callbacks_->onWriteDrained();
      if (box->owner != this || box_ == nullptr) {
        return;  // Destroyed or closed by the callback.
      }
    }
  }
  if (!writeInFlight_ && pending_.empty()) {
    maybeShutdown();
  }
}

void TcpStreamImpl::maybeShutdown() {
  if (!shutdownRequested_ || shutdownStarted_ || writeInFlight_ || !pending_.empty() ||
      box_ == nullptr) {
    return;
  }
  shutdownStarted_ = true;
  auto* op = new ShutdownOp;
  int rc = uv_shutdown(&op->req, box_->stream(), &TcpStreamImpl::onShutdownDone);
  if (rc != 0) {
    delete op;
    if (closeAfterWrite_) {
      closeWithReason(Status::ok());
    }
  }
}

void TcpStreamImpl::onShutdownDone(uv_shutdown_t* req, int status) {
  auto* op = reinterpret_cast<ShutdownOp*>(req);
  Box* box = Box::from(reinterpret_cast<uv_tcp_t*>(req->handle));
  delete op;
  TcpStreamImpl* self = box->owner;
  if (self == nullptr) {
    return;
  }
  if (self->closeAfterWrite_) {
    // The FIN is out; the peer has everything we sent (a reset now cannot lose our data).
    self->closeWithReason(Status::ok());
  } else if (status < 0 && status != UV_ENOTCONN) {
    self->closeWithReason(uvStatus(status, "shutdown"));
  }
}

void TcpStreamImpl::closeAfterWrite() {
  if (box_ == nullptr || closeAfterWrite_) {
    return;
  }
  closeAfterWrite_ = true;
  shutdownRequested_ = true;
  updateReading();  // Stop reading: nothing read now would be answered.
  if (!writeInFlight_ && pending_.empty()) {
    // Start the shutdown at the end of the iteration, never inside the caller's call.
    scheduleFlush();
  }
}

void TcpStreamImpl::shutdownWrite() {
  if (box_ == nullptr || shutdownRequested_) {
    return;
  }
  shutdownRequested_ = true;
  if (!writeInFlight_ && pending_.empty()) {
    scheduleFlush();
  }
}

void TcpStreamImpl::closeNow() { releaseHandle(); }

void TcpStreamImpl::closeWithReason(const Status& reason) {
  releaseHandle();
  if (callbacks_ != nullptr) {
    StreamCallbacks* callbacks = callbacks_;
    callbacks_ = nullptr;
    callbacks->onClose(reason);  // May destroy this; nothing follows.
  }
}

} // namespace gateway::event
