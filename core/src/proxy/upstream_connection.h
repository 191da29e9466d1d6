#pragma once

// One TCP connection to an upstream target with its response decoder and its timer. It is used by
// one UpstreamRequest at a time and parked in the UpstreamPool between requests; the decoder and
// the timer are created once per connection, not per request.

#include <memory>

#include "gateway/event/dispatcher.h"
#include "gateway/http1/codec.h"
#include "gateway/upstream/balancer.h"
#include "proxy/deferred_delete.h"

namespace gateway::proxy {

// The user of a connection (an UpstreamRequest, or the pool while the connection is idle). Every
// event of the socket, the decoder and the timer goes to the current user. Called on the worker
// thread.
class UpstreamConnectionUser : public http1::ResponseDecoderCallbacks {
public:
  // Bytes arrived from the upstream (decode them with connection.decoder(), or tunnel them).
  virtual void onUpstreamData(std::string_view data) = 0;
  virtual void onUpstreamEof() = 0;
  // The socket failed or was closed; the connection must not be used again.
  virtual void onUpstreamClosed(const Status& reason) = 0;
  virtual void onUpstreamWriteDrained() = 0;
  virtual void onUpstreamTimer() = 0;
};

class UpstreamConnection;

// Receives the events of an idle (pooled) connection: any of them ends the connection's idle life.
class IdleConnectionOwner {
public:
  virtual ~IdleConnectionOwner() = default;
  virtual void onIdleConnectionEvent(UpstreamConnection& connection) = 0;
};

class UpstreamConnection : public Deletable,
                           public event::StreamCallbacks,
                           public http1::ResponseDecoderCallbacks {
public:
  UpstreamConnection(event::Dispatcher& dispatcher, event::TcpStreamPtr stream,
                     upstream::Endpoint endpoint, const http1::DecoderLimits& limits);
  ~UpstreamConnection() override;

  // Routes every event to `user` (borrowed; must call setUser(nullptr) or destroy the connection
  // before it goes away).
  void setUser(UpstreamConnectionUser* user) { user_ = user; }
  // While parked (no user), events go to `owner` (borrowed; the pool outlives its connections).
  void setIdleOwner(IdleConnectionOwner* owner) { idleOwner_ = owner; }

  event::TcpStream& stream() { return *stream_; }
  http1::ResponseDecoder& decoder() { return *decoder_; }
  event::Timer& timer() { return *timer_; }
  const upstream::Endpoint& endpoint() const { return endpoint_; }
  // How many requests this connection has carried (1 on the first).
  uint64_t requests() const { return requests_; }
  void countRequest() { ++requests_; }
  // Set once the connection can no longer be reused (upgrade, close, error).
  bool reusable() const { return reusable_ && stream_->isOpen(); }
  void markNotReusable() { reusable_ = false; }

  // event::StreamCallbacks
  void onData(std::string_view data) override;
  void onEof() override;
  void onClose(const Status& reason) override;
  void onWriteDrained() override;

  // http1::ResponseDecoderCallbacks
  void onInformational(http::ResponseHead&& head) override;
  void onResponseHead(http::ResponseHead&& head) override;
  void onResponseBody(std::string_view data) override;
  void onResponseComplete() override;

private:
  event::TcpStreamPtr stream_;
  http1::ResponseDecoderPtr decoder_;
  event::TimerPtr timer_;
  upstream::Endpoint endpoint_;
  UpstreamConnectionUser* user_{nullptr};
  IdleConnectionOwner* idleOwner_{nullptr};
  uint64_t requests_{0};
  bool reusable_{true};
};
using UpstreamConnectionPtr = std::unique_ptr<UpstreamConnection>;

} // namespace gateway::proxy
