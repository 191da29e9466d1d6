#pragma once

// An outbound TCP connect: IP literals connect at once, names are resolved with uv_getaddrinfo
// (each resolved address is tried in turn), the whole attempt is bounded by a timer. Destroying
// the request cancels it: a lookup in flight is detached (uv_cancel), a connecting socket is
// closed, and the callback is never called.
//
// The callback is always called from a loop callback, never from inside connectTcp(); errors
// found synchronously are delivered through the timer armed at 0 ms.

#include <chrono>
#include <string>
#include <vector>

#include "event/dispatcher_impl.h"
#include "event/tcp_stream_impl.h"

namespace gateway::event {

class ConnectRequestImpl : public ConnectRequest {
public:
  ConnectRequestImpl(DispatcherImpl& dispatcher, std::string host, uint16_t port,
                     std::chrono::milliseconds timeout, size_t writeHighWater, ConnectCallback cb);
  ~ConnectRequestImpl() override;

  void start();

private:
  struct ResolveOp;
  struct ConnectOp;
  static void onResolved(uv_getaddrinfo_t* req, int status, addrinfo* res);
  static void onConnected(uv_connect_t* req, int status);

  void tryNextAddress();
  void failLater(Status status);
  void cancelInFlight();
  // Delivers the result; `this` may be destroyed by the callback.
  void complete(StatusOr<TcpStreamPtr>&& result);
  std::string where() const;

  DispatcherImpl& dispatcher_;
  std::string host_;
  uint16_t port_;
  std::chrono::milliseconds timeout_;
  size_t writeHighWater_;
  ConnectCallback cb_;
  TimerPtr timer_;
  Status deferredError_;   // Set: the timer delivers this instead of a timeout.
  bool done_{false};

  std::vector<sockaddr_storage> addresses_;
  size_t nextAddress_{0};
  Status lastError_;
  ResolveOp* resolving_{nullptr};       // Lookup in flight.
  ConnectOp* connecting_{nullptr};      // Connect in flight.
  TcpStreamImpl::Box* socket_{nullptr}; // The socket being connected.
};

} // namespace gateway::event
