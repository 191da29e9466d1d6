#pragma once

// One client (downstream) connection: owns the socket and the request decoder, runs one Stream at
// a time, answers pipelined requests strictly in order (the next head is not parsed before the
// current response is complete), keeps the connection alive between requests, enforces the
// client-side limits and timeouts (header 408 - from accept for the first request -, body 408,
// keep-alive idle between requests) and the codec's errors
// (400/413/414/431, then close), and switches to a byte tunnel after a 101.

#include <memory>
#include <string>

#include "gateway/event/dispatcher.h"
#include "gateway/http1/codec.h"
#include "proxy/deferred_delete.h"
#include "proxy/stream.h"
#include "proxy/worker_context.h"

namespace gateway::proxy {

class ConnectionManager;

// The worker's side of a connection's life.
class ConnectionRegistry {
public:
  virtual ~ConnectionRegistry() = default;
  // The connection closed; the registry defers its deletion.
  virtual void onConnectionClosed(ConnectionManager& connection) = 0;
};

class ConnectionManager : public Deletable,
                          public event::StreamCallbacks,
                          public http1::RequestDecoderCallbacks,
                          public StreamOwner {
public:
  // `context` and `registry` are borrowed and outlive the connection.
  ConnectionManager(WorkerContext& context, ConnectionRegistry& registry,
                    event::TcpStreamPtr socket);
  ~ConnectionManager() override;

  // Starts reading.
  void start();
  // Drain: close now when idle, else after the current response (Connection: close).
  void drain();
  // Closes the socket at once; the registry is told.
  void closeNow();
  bool idle() const { return !stream_ && !closing_; }

  // event::StreamCallbacks
  void onData(std::string_view data) override;
  void onEof() override;
  void onClose(const Status& reason) override;
  void onWriteDrained() override;

  // http1::RequestDecoderCallbacks
  void onRequestHead(http::RequestHead&& head) override;
  void onRequestBody(std::string_view data) override;
  void onRequestComplete() override;

  // StreamOwner
  void writeToClient(std::string&& bytes) override;
  bool clientWriteBufferFull() const override;
  void onStreamReadInterestChanged() override;
  void onStreamComplete(bool closeConnection) override;
  void onStreamUpgraded() override;
  void shutdownClientWrite() override;

private:
  // What the connection's one timer measures.
  enum class TimerRole {
    None,
    KeepAlive,   // Idle between requests: close silently.
    Header,      // A request head is being received: 408 and close.
    Body,        // The request body is being received: 408 (or abort) and close.
    Send,        // The client does not read the response: close.
    Linger,      // Closing: discard the client's bytes for a while, then close.
  };

  void drive();
  bool finishStream();
  void codecError(const http1::DecodeResult& result);
  void startClosing(bool linger);
  void updateReading();
  void updateTimer(bool rearm);
  void setTimer(TimerRole role, std::chrono::milliseconds timeout, bool rearm);
  void onTimer();
  std::string_view input() const;
  void consumeInput(size_t n);

  WorkerContext& context_;
  ConnectionRegistry& registry_;
  event::TcpStreamPtr socket_;
  http1::RequestDecoderPtr decoder_;
  event::TimerPtr timer_;
  TimerRole timerRole_{TimerRole::None};
  ClientInfo client_;
  StreamPtr stream_;

  // Unparsed client bytes: a view of the current read (external_) or a copy (input_).
  std::string_view external_;
  std::string input_;
  size_t inputOffset_{0};
  uint64_t headBytes_{0};

  bool dispatching_{false};      // Inside drive(): stream completion is handled by the loop.
  bool streamDone_{false};       // The current stream's response is complete.
  bool messageDone_{false};      // The decoder reached the end of the current request.
  bool upgradeRequested_{false}; // The decoder returned Upgrade (it is done with HTTP).
  bool tunnel_{false};
  bool closeAfterStream_{false};
  bool clientEof_{false};
  bool closing_{false};
  bool closed_{false};
  bool readingDisabled_{false};
  bool requestSeen_{false};      // A request head was parsed on this connection.
};

} // namespace gateway::proxy
