#include "event/connect_request_impl.h"

#include <cstring>

#include "event/uv_status.h"

namespace gateway::event {

struct ConnectRequestImpl::ResolveOp {
  uv_getaddrinfo_t req{};
  ConnectRequestImpl* owner{nullptr};  // Null once detached (cancelled).
};

struct ConnectRequestImpl::ConnectOp {
  uv_connect_t req{};
  ConnectRequestImpl* owner{nullptr};
};

ConnectRequestImpl::ConnectRequestImpl(DispatcherImpl& dispatcher, std::string host,
                                       uint16_t port, std::chrono::milliseconds timeout,
                                       size_t writeHighWater, ConnectCallback cb)
    : dispatcher_(dispatcher), host_(std::move(host)), port_(port), timeout_(timeout),
      writeHighWater_(writeHighWater), cb_(std::move(cb)) {
  timer_ = dispatcher_.createTimer([this] {
    if (!deferredError_.isOk()) {
      Status error = std::move(deferredError_);
      complete(std::move(error));
      return;
    }
    cancelInFlight();
    complete(Status(StatusCode::DeadlineExceeded,
                    where() + ": timed out after " + std::to_string(timeout_.count()) + " ms"));
  });
}

ConnectRequestImpl::~ConnectRequestImpl() { cancelInFlight(); }

std::string ConnectRequestImpl::where() const {
  return "connect " + host_ + ":" + std::to_string(port_);
}

void ConnectRequestImpl::start() {
  timer_->enable(timeout_);
  std::string literal = host_;
  if (literal.size() > 2 && literal.front() == '[' && literal.back() == ']') {
    literal = literal.substr(1, literal.size() - 2);
  }
  sockaddr_storage addr{};
  if (uv_ip4_addr(literal.c_str(), port_, reinterpret_cast<sockaddr_in*>(&addr)) == 0 ||
      uv_ip6_addr(literal.c_str(), port_, reinterpret_cast<sockaddr_in6*>(&addr)) == 0) {
    addresses_.push_back(addr);
    tryNextAddress();
    return;
  }
  auto* op = new ResolveOp;
  op->owner = this;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  int rc = uv_getaddrinfo(dispatcher_.loop(), &op->req, &ConnectRequestImpl::onResolved,
                          host_.c_str(), nullptr, &hints);
  if (rc != 0) {
    delete op;
    failLater(uvStatus(rc, "resolve " + host_));
    return;
  }
  resolving_ = op;
}

void ConnectRequestImpl::onResolved(uv_getaddrinfo_t* req, int status, addrinfo* res) {
  auto* op = reinterpret_cast<ResolveOp*>(req);
  ConnectRequestImpl* self = op->owner;
  delete op;
  if (self == nullptr) {
    uv_freeaddrinfo(res);
    return;
  }
  self->resolving_ = nullptr;
  if (status < 0) {
    uv_freeaddrinfo(res);
    self->complete(uvStatus(status, "resolve " + self->host_));
    return;
  }
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) {
      continue;
    }
    sockaddr_storage addr{};
    std::memcpy(&addr, ai->ai_addr, ai->ai_addrlen);
    if (addr.ss_family == AF_INET) {
      reinterpret_cast<sockaddr_in*>(&addr)->sin_port = htons(self->port_);
    } else {
      reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port = htons(self->port_);
    }
    self->addresses_.push_back(addr);
  }
  uv_freeaddrinfo(res);
  if (self->addresses_.empty()) {
    self->complete(Status(StatusCode::NotFound, "resolve " + self->host_ + ": no address"));
    return;
  }
  self->tryNextAddress();
}

void ConnectRequestImpl::tryNextAddress() {
  while (nextAddress_ < addresses_.size()) {
    const sockaddr_storage& addr = addresses_[nextAddress_++];
    socket_ = new TcpStreamImpl::Box(nullptr);
    uv_tcp_init(dispatcher_.loop(), &socket_->handle);
    socket_->bind();
    auto* op = new ConnectOp;
    op->owner = this;
    int rc = uv_tcp_connect(&op->req, &socket_->handle, reinterpret_cast<const sockaddr*>(&addr),
                            &ConnectRequestImpl::onConnected);
    if (rc == 0) {
      connecting_ = op;
      return;
    }
    delete op;
    closeBox(socket_);
    socket_ = nullptr;
    lastError_ = uvStatus(rc, where());
  }
  failLater(lastError_.isOk() ? unavailable(where() + ": no usable address") : lastError_);
}

void ConnectRequestImpl::onConnected(uv_connect_t* req, int status) {
  auto* op = reinterpret_cast<ConnectOp*>(req);
  ConnectRequestImpl* self = op->owner;
  delete op;
  if (self == nullptr) {
    return;  // Cancelled: the socket was closed by cancelInFlight (status is UV_ECANCELED).
  }
  self->connecting_ = nullptr;
  TcpStreamImpl::Box* socket = self->socket_;
  self->socket_ = nullptr;
  if (status < 0) {
    closeBox(socket);
    self->lastError_ = uvStatus(status, self->where());
    if (self->nextAddress_ < self->addresses_.size()) {
      self->tryNextAddress();
      return;
    }
    Status error = self->lastError_;
    self->complete(std::move(error));
    return;
  }
  self->complete(TcpStreamPtr(
      std::make_unique<TcpStreamImpl>(self->dispatcher_, socket, self->writeHighWater_)));
}

void ConnectRequestImpl::failLater(Status status) {
  deferredError_ = std::move(status);
  timer_->enable(std::chrono::milliseconds(0));
}

void ConnectRequestImpl::cancelInFlight() {
  if (resolving_ != nullptr) {
    resolving_->owner = nullptr;
    uv_cancel(reinterpret_cast<uv_req_t*>(&resolving_->req));  // The callback still frees it.
    resolving_ = nullptr;
  }
  if (connecting_ != nullptr) {
    connecting_->owner = nullptr;
    connecting_ = nullptr;
  }
  if (socket_ != nullptr) {
    closeBox(socket_);  // A pending connect completes with UV_ECANCELED.
    socket_ = nullptr;
  }
}

void ConnectRequestImpl::complete(StatusOr<TcpStreamPtr>&& result) {
  if (done_) {
    return;
  }
  done_ = true;
  timer_->disable();
  ConnectCallback cb = std::move(cb_);
  cb(std::move(result));  // May destroy this.
}

} // namespace gateway::event
