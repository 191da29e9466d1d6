// Dispatcher::connectUnix: a non-blocking connect(2) to a unix-domain stream socket, wrapped in
// a uv_tcp_t with uv_tcp_open (libuv treats any connected stream socket the same way; the TCP
// options it sets fail harmlessly on AF_UNIX). A unix connect completes or fails at once, so the
// result is only deferred to a 0 ms timer: the callback never runs inside connectUnix().

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "event/dispatcher_impl.h"
#include "event/tcp_stream_impl.h"
#include "event/uv_status.h"

namespace gateway::event {
namespace {

StatusOr<TcpStreamPtr> connectNow(DispatcherImpl& dispatcher, const std::string& path,
                                  size_t writeHighWater) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
    return invalidArgument("unix socket path \"" + path + "\" is empty or longer than " +
                           std::to_string(sizeof(addr.sun_path) - 1) + " bytes");
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return unavailable("socket(AF_UNIX): " + std::string(std::strerror(errno)));
  }
  // EAGAIN (the listener's backlog is full) and EINPROGRESS are reported as errors: the
  // caller's retry policy applies, as for a refused connect.
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    const int err = errno;
    ::close(fd);
    return unavailable("connect unix:" + path + ": " + std::strerror(err));
  }
  auto* box = new TcpStreamImpl::Box(nullptr);
  uv_tcp_init(dispatcher.loop(), &box->handle);
  box->bind();
  const int rc = uv_tcp_open(&box->handle, fd);
  if (rc != 0) {
    closeBox(box);
    ::close(fd);
    return uvStatus(rc, "connect unix:" + path);
  }
  return TcpStreamPtr(std::make_unique<TcpStreamImpl>(dispatcher, box, writeHighWater));
}

class UnixConnectRequest : public ConnectRequest {
public:
  UnixConnectRequest(DispatcherImpl& dispatcher, StatusOr<TcpStreamPtr>&& result,
                     ConnectCallback cb)
      : result_(std::move(result)), cb_(std::move(cb)) {
    timer_ = dispatcher.createTimer([this] {
      ConnectCallback cb = std::move(cb_);
      StatusOr<TcpStreamPtr> result = std::move(result_);
      cb(std::move(result));  // `this` may be destroyed by the callback.
    });
    timer_->enable(std::chrono::milliseconds(0));
  }

private:
  StatusOr<TcpStreamPtr> result_;
  ConnectCallback cb_;
  TimerPtr timer_;
};

} // namespace

ConnectRequestPtr DispatcherImpl::connectUnix(const std::string& path, size_t writeHighWater,
                                              ConnectCallback cb) {
  return std::make_unique<UnixConnectRequest>(*this, connectNow(*this, path, writeHighWater),
                                              std::move(cb));
}

} // namespace gateway::event
