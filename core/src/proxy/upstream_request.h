#pragma once

// One exchange with one upstream target: take a pooled connection or connect, write the request
// head, stream the request body (Content-Length or chunked), decode the response, enforce the
// service's read/write timeouts, and give the connection back to the pool when the exchange ended
// cleanly. Retries and target choice belong to the Stream; this class reports what went wrong.

#include <chrono>
#include <string>
#include <string_view>

#include "gateway/event/dispatcher.h"
#include "gateway/http/message.h"
#include "gateway/upstream/balancer.h"
#include "proxy/deferred_delete.h"
#include "proxy/headers.h"
#include "proxy/upstream_connection.h"

namespace gateway::proxy {

struct WorkerContext;

enum class UpstreamFailureKind {
  ConnectFailed,  // Refused, unreachable, DNS: nothing was sent.
  ConnectTimeout, // service.connectTimeout passed: nothing was sent.
  Reset,          // The connection closed or failed before the response completed.
  BadResponse,    // The response could not be parsed.
  ReadTimeout,    // service.readTimeout passed between two reads.
  WriteTimeout,   // service.writeTimeout passed with the write buffer full.
};

struct UpstreamFailure {
  UpstreamFailureKind kind{UpstreamFailureKind::Reset};
  bool responseStarted{false};  // Some response byte was received.
  bool reusedConnection{false}; // The connection came from the pool.
  uint64_t bodyBytesSent{0};    // Request body bytes written to the upstream.
  std::string detail;           // For the error log.
  bool isTimeout() const {
    return kind == UpstreamFailureKind::ConnectTimeout || kind == UpstreamFailureKind::ReadTimeout ||
           kind == UpstreamFailureKind::WriteTimeout;
  }
};

// What an UpstreamRequest reports to its Stream (worker thread). After onUpstreamFailure or
// onUpstreamResponseComplete nothing else is called (except tunnel callbacks after an upgrade).
class UpstreamRequestCallbacks {
public:
  virtual ~UpstreamRequestCallbacks() = default;
  // Connected (or reused) and the head was written: the request body may flow now.
  virtual void onUpstreamReady() = 0;
  virtual void onUpstreamResponseHead(http::ResponseHead&& head) = 0;
  virtual void onUpstreamResponseBody(std::string_view data) = 0;
  // The response ended; the connection is already back in the pool (or closed).
  virtual void onUpstreamResponseComplete() = 0;
  // A batch of upstream bytes was processed: a good moment to flush what goes to the client.
  virtual void onUpstreamReadDone() = 0;
  // After a 101: raw bytes from the upstream, and its EOF/close.
  virtual void onUpstreamTunnelData(std::string_view data) = 0;
  virtual void onUpstreamTunnelClosed() = 0;
  // The upstream write buffer drained below its low-water mark.
  virtual void onUpstreamWriteDrained() = 0;
  virtual void onUpstreamFailure(const UpstreamFailure& failure) = 0;
};

struct UpstreamTimeouts {
  std::chrono::milliseconds connect{60000};
  std::chrono::milliseconds write{60000};
  std::chrono::milliseconds read{60000};
};

class UpstreamRequest : public Deletable, public UpstreamConnectionUser {
public:
  // `callbacks` is borrowed and outlives this object (the Stream owns both).
  UpstreamRequest(WorkerContext& context, UpstreamRequestCallbacks& callbacks,
                  upstream::Endpoint target, UpstreamTimeouts timeouts);
  ~UpstreamRequest() override;

  // Starts the exchange: a pooled connection unless `freshConnection`, else a new one. `head` is
  // written once connected; `method` tells the decoder whether a body can follow; `bodyFraming`
  // says how sendBody() frames data.
  void start(std::string&& head, std::string_view method, headers::BodyFraming bodyFraming,
             bool freshConnection);
  // Stops the exchange for good: no callback runs afterwards. The connection is closed (or, for a
  // tunnel, closed after its queued bytes). Called before the owner drops this object.
  void cancel();
  // Request body bytes (call only after onUpstreamReady). Never blocks; watch writeBufferFull().
  void sendBody(std::string_view data);
  // The request body is complete (writes the last chunk when chunked).
  void endBody();
  bool writeBufferFull() const;
  // Response back-pressure: stop/restart reading from the upstream.
  void readDisable(bool disable);
  // Tunnel mode (after 101): raw bytes to the upstream, and a half-close.
  void sendTunnel(std::string_view data);
  void shutdownTunnel();

  const upstream::Endpoint& target() const { return target_; }
  uint64_t bodyBytesSent() const { return bodyBytesSent_; }
  // True when the connection came from the keep-alive pool (known once onUpstreamReady ran).
  bool reusedConnection() const { return reused_; }
  bool requestComplete() const { return requestComplete_; }

  // UpstreamConnectionUser
  void onUpstreamData(std::string_view data) override;
  void onUpstreamEof() override;
  void onUpstreamClosed(const Status& reason) override;
  void onUpstreamWriteDrained() override;
  void onUpstreamTimer() override;
  // http1::ResponseDecoderCallbacks
  void onInformational(http::ResponseHead&& head) override;
  void onResponseHead(http::ResponseHead&& head) override;
  void onResponseBody(std::string_view data) override;
  void onResponseComplete() override;

private:
  void onConnected(UpstreamConnectionPtr connection);
  void write(std::string&& bytes);
  void armTimer();
  void fail(UpstreamFailureKind kind, std::string detail);
  void finishExchange();
  void dropConnection();

  WorkerContext& context_;
  UpstreamRequestCallbacks& callbacks_;
  upstream::Endpoint target_;
  UpstreamTimeouts timeouts_;
  std::string pendingHead_;
  std::string method_;
  headers::BodyFraming framing_{headers::BodyFraming::None};
  event::ConnectRequestPtr connect_;
  UpstreamConnectionPtr connection_;
  uint64_t bodyBytesSent_{0};
  bool reused_{false};
  bool requestComplete_{false};
  bool responseStarted_{false};
  bool responseComplete_{false};
  bool readPaused_{false};
  bool tunnel_{false};
  bool done_{false};
};
using UpstreamRequestPtr = std::unique_ptr<UpstreamRequest>;

} // namespace gateway::proxy
