#include "event/listener_impl.h"

#include <cstring>

#include <sys/socket.h>
#include <unistd.h>

#include "event/tcp_stream_impl.h"
#include "event/uv_status.h"

namespace gateway::event {

Status resolveForListen(uv_loop_t* loop, const std::string& host, uint16_t port,
                        sockaddr_storage& out) {
  std::memset(&out, 0, sizeof(out));
  std::string literal = host;
  if (literal.size() > 2 && literal.front() == '[' && literal.back() == ']') {
    literal = literal.substr(1, literal.size() - 2);
  }
  if (uv_ip4_addr(literal.c_str(), port, reinterpret_cast<sockaddr_in*>(&out)) == 0) {
    return Status::ok();
  }
  if (uv_ip6_addr(literal.c_str(), port, reinterpret_cast<sockaddr_in6*>(&out)) == 0) {
    return Status::ok();
  }
  uv_getaddrinfo_t req{};
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  // No callback: libuv resolves synchronously.
  int rc = uv_getaddrinfo(loop, &req, nullptr, literal.c_str(), nullptr, &hints);
  if (rc != 0) {
    return uvStatus(rc, "resolve " + host);
  }
  if (req.addrinfo == nullptr) {
    return {StatusCode::NotFound, "resolve " + host + ": no address"};
  }
  std::memcpy(&out, req.addrinfo->ai_addr, req.addrinfo->ai_addrlen);
  uv_freeaddrinfo(req.addrinfo);
  if (out.ss_family == AF_INET) {
    reinterpret_cast<sockaddr_in*>(&out)->sin_port = htons(port);
  } else {
    reinterpret_cast<sockaddr_in6*>(&out)->sin6_port = htons(port);
  }
  return Status::ok();
}

ListenerImpl::ListenerImpl(DispatcherImpl& dispatcher, std::function<void(TcpStreamPtr)> onAccept)
    : dispatcher_(dispatcher), onAccept_(std::move(onAccept)) {}

ListenerImpl::~ListenerImpl() { stop(); }

void ListenerImpl::stop() {
  if (box_ != nullptr) {
    closeBox(box_);
    box_ = nullptr;
  }
}

Status ListenerImpl::open(const std::string& host, uint16_t port, int backlog) {
  const std::string where = "listen " + host + ":" + std::to_string(port);
  sockaddr_storage addr{};
  Status resolved = resolveForListen(dispatcher_.loop(), host, port, addr);
  if (!resolved.isOk()) {
    return resolved;
  }
  int fd = ::socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return uvStatus(uv_translate_sys_error(errno), where);
  }
  int one = 1;
  if (::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
      ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) {
    int err = errno;
    ::close(fd);
    return uvStatus(uv_translate_sys_error(err), where + " (setsockopt)");
  }
  socklen_t len = addr.ss_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    int err = errno;
    ::close(fd);
    return uvStatus(uv_translate_sys_error(err), where);
  }
  box_ = new Box(this);
  uv_tcp_init(dispatcher_.loop(), &box_->handle);
  box_->bind();
  int rc = uv_tcp_open(&box_->handle, fd);
  if (rc != 0) {
    ::close(fd);
    stop();
    return uvStatus(rc, where);
  }
  rc = uv_listen(box_->stream(), backlog, &ListenerImpl::onConnection);
  if (rc != 0) {
    stop();  // Closes fd with the handle.
    return uvStatus(rc, where);
  }
  sockaddr_storage bound{};
  int boundLen = sizeof(bound);
  uv_tcp_getsockname(&box_->handle, reinterpret_cast<sockaddr*>(&bound), &boundLen);
  std::string ignored;
  sockaddrToString(reinterpret_cast<sockaddr*>(&bound), ignored, port_);
  return Status::ok();
}

void ListenerImpl::onConnection(uv_stream_t* server, int status) {
  Box* box = Box::from(reinterpret_cast<uv_tcp_t*>(server));
  ListenerImpl* self = box->owner;
  if (self == nullptr || status < 0) {
    return;  // Transient accept errors (EMFILE, ...): the next connection retries.
  }
  auto* client = new TcpStreamImpl::Box(nullptr);
  uv_tcp_init(self->dispatcher_.loop(), &client->handle);
  client->bind();
  if (uv_accept(server, client->stream()) != 0) {
    closeBox(client);
    return;
  }
  auto stream = std::make_unique<TcpStreamImpl>(self->dispatcher_, client,
                                                TcpStreamImpl::kDefaultHighWater);
  self->onAccept_(std::move(stream));
}

} // namespace gateway::event
