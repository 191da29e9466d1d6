#pragma once

// Listener on a uv_tcp_t whose socket is created here with SO_REUSEADDR + SO_REUSEPORT, so that
// every worker thread binds the same address and the kernel spreads connections over them.

#include <functional>
#include <string>

#include "event/dispatcher_impl.h"

namespace gateway::event {

class ListenerImpl : public Listener {
public:
  ListenerImpl(DispatcherImpl& dispatcher, std::function<void(TcpStreamPtr)> onAccept);
  ~ListenerImpl() override;

  // Binds host:port (an IP literal, or a name resolved synchronously: startup only) and listens.
  Status open(const std::string& host, uint16_t port, int backlog);

  // Listener
  uint16_t port() const override { return port_; }
  void stop() override;

private:
  using Box = HandleBox<uv_tcp_t, ListenerImpl>;
  static void onConnection(uv_stream_t* server, int status);

  DispatcherImpl& dispatcher_;
  std::function<void(TcpStreamPtr)> onAccept_;
  Box* box_{nullptr};
  uint16_t port_{0};
};

// Resolves host:port into `out` (IP literals directly, names with a blocking lookup).
Status resolveForListen(uv_loop_t* loop, const std::string& host, uint16_t port,
                        sockaddr_storage& out);

} // namespace gateway::event
