#pragma once

// THE CENTRAL STATE MACHINE of the proxy: one Stream per HTTP request, from the parsed client head
// to the last byte of the response and the access-log line. Larger than the other files on
// purpose (docs/STYLE.md point 4). The life of a request:
//
//   start()  RequestState filled (id, client address, host, request)
//     -> [plugins: rewrite] -> route (404 / 503 no service)
//     -> [plugins: access; Exit -> local reply; Fail -> 500/504]
//     -> pick a target (the service's Upstream balancer, or its host:port; 503 no peer)
//     -> UpstreamRequest: pooled or new connection, head + streamed body (back-pressure)
//     -> response head -> [plugins: response (whole body buffered) or header filter]
//     -> response streamed to the client (back-pressure) -> [plugins: log] -> access log
//     -> StreamOwner::onStreamComplete (next pipelined request, keep-alive, or close).
//
// What the stream waits for is one `Waiting` value; the request body (downstream -> upstream) and
// the response (upstream -> downstream) each keep their own small state struct (STYLE.md point 12).
// Retries: see Stream::shouldRetry (stream.cc). 100-continue: the gateway answers it (below).

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "gateway/plugin/runtime.h"
#include "gateway/proxy/request_state.h"
#include "gateway/proxy/worker.h"
#include "proxy/deferred_delete.h"
#include "proxy/headers.h"
#include "proxy/recycled_allocation.h"
#include "proxy/upstream_request.h"
#include "proxy/worker_context.h"

namespace gateway::proxy {

// The client connection as a stream sees it (implemented by ConnectionManager).
class StreamOwner {
public:
  virtual ~StreamOwner() = default;
  // Queues bytes for the client.
  virtual void writeToClient(std::string&& bytes) = 0;
  virtual bool clientWriteBufferFull() const = 0;
  // Stream::wantsRequestData() may have changed: re-evaluate client reading and timers.
  virtual void onStreamReadInterestChanged() = 0;
  // The response is complete (or the stream gave up). The owner destroys the stream later (never
  // inside this call). `closeConnection`: no further request on this connection.
  virtual void onStreamComplete(bool closeConnection) = 0;
  // A 101 was relayed: raw client bytes now go to Stream::onTunnelData.
  virtual void onStreamUpgraded() = 0;
  // Tunnel: the upstream finished sending; half-close the client side.
  virtual void shutdownClientWrite() = 0;
};

struct ClientInfo {
  std::string ip;
  uint16_t port{0};
  uint16_t localPort{0};
};

class Stream : public Deletable,
               public plugin::RequestDataSource,
               public UpstreamRequestCallbacks,
               public RecycledAllocation<Stream> {
public:
  // What the stream is waiting for. Exactly one at a time.
  enum class Waiting {
    Start,              // Not started: start() not called yet.
    RewritePhase,       // Plugins' rewrite phase is running (global plugins, before routing).
    AccessPhase,        // Plugins' access phase is running (after routing).
    RequestBody,        // The whole request body, because a plugin needs it before a phase.
    UpstreamConnect,    // A pooled connection or a new connect to the picked target.
    UpstreamResponse,   // The response head; the request body streams meanwhile.
    ResponseBuffering,  // The whole upstream body, for the plugins' response phase.
    ResponsePhase,      // Plugins' response phase is running on the buffered response.
    HeaderFilterPhase,  // Plugins' header-filter phase is running on the response head.
    ResponseBody,       // The rest of the upstream body, streamed to the client.
    LocalReplyPhase,    // Plugins' response-side phase is running on a local reply.
    Tunnel,             // After 101: bytes both ways until one side closes.
    Done,               // Response complete or abandoned; waiting to be destroyed.
  };

  // `owner` and `context` are borrowed and outlive the stream; `snapshot` is the config the
  // request runs on for its whole life.
  Stream(WorkerContext& context, StreamOwner& owner, ConfigSnapshotSharedPtr snapshot,
         const ClientInfo& client);
  ~Stream() override;

  // Downstream events, in order: start, body*, requestComplete; any time: abort/timeouts.
  void start(http::RequestHead&& head, uint64_t headBytes);
  void onRequestBody(std::string_view data);
  void onRequestComplete();
  // The client connection failed or closed early: stop everything, log (status 499).
  void onClientAbort();
  // The client stalled longer than the body timeout: 408 (or abort if the response started).
  void onClientTimeout();
  // The request decoder failed mid-body: answer `status` if possible, and close.
  void onClientProtocolError(int status);
  void onClientWriteDrained();
  void onTunnelData(std::string_view data);
  void onClientTunnelEof();

  // True while the stream can take request body (or tunnel) bytes without buffering them.
  bool wantsRequestData() const;
  bool requestBodyComplete() const { return body_.complete; }
  bool responseStarted() const { return response_.headSent; }
  bool done() const { return waiting_ == Waiting::Done; }
  Waiting waitingForTest() const { return waiting_; }

  // plugin::RequestDataSource
  void readRequestBody(std::function<void(StatusOr<std::string_view>)> cb) override;

  // UpstreamRequestCallbacks
  void onUpstreamReady() override;
  void onUpstreamResponseHead(http::ResponseHead&& head) override;
  void onUpstreamResponseBody(std::string_view data) override;
  void onUpstreamResponseComplete() override;
  void onUpstreamReadDone() override;
  void onUpstreamTunnelData(std::string_view data) override;
  void onUpstreamTunnelClosed() override;
  void onUpstreamWriteDrained() override;
  void onUpstreamFailure(const UpstreamFailure& failure) override;

private:
  // Downstream -> upstream: the request body.
  struct RequestBodyState {
    bool complete{false};       // The client's body ended (or there is none).
    uint64_t received{0};       // Body bytes received from the client.
    std::string pending;        // Received, not yet forwarded (upstream not ready or full).
    bool collecting{false};     // Collecting into RequestState::requestBody for a plugin.
    bool discard{false};        // A plugin replaced the body: drop the client's bytes.
    bool continueSent{false};   // "100 Continue" was sent to the client.
    bool inMemory{false};       // The upstream body is a string we hold (replayable on retry).
    // Body bytes written on a pooled connection, kept (up to kReplayLimit) until the response
    // starts, so a stale keep-alive connection can be retried transparently.
    std::string replay;
    bool replayOverflow{false};
  };
  // Upstream -> downstream: the response.
  struct ResponseState {
    bool headSent{false};
    bool keepAlive{true};       // Decided when the head is sent.
    headers::ClientFraming framing{headers::ClientFraming::ContentLength};
    http::BodyFraming upstreamFraming{http::BodyFraming::None};
    uint64_t upstreamLength{0};
    bool upstreamComplete{false};
    bool upstreamPaused{false}; // Reading from the upstream is disabled (client back-pressure).
    std::string out;            // Bytes for the client, flushed once per upstream read.
    std::string held;           // Body bytes that arrived while the header filter ran.
  };

  // The phases, in order.
  void runRewrite();
  void route();
  void runAccess();
  void connectUpstream(bool freshConnection);
  void runPhase(plugin::Phase phase);
  void onPhaseDone(plugin::Phase phase, plugin::PhaseOutcome outcome);
  void afterPhase(plugin::Phase phase);
  void collectRequestBody(plugin::Phase phase);
  void onRequestBodyCollected();

  bool pickTarget(upstream::Endpoint& target);
  void buildUpstreamHead(const upstream::Endpoint& target, std::string& out,
                         headers::BodyFraming& framing);
  bool shouldRetry(const UpstreamFailure& failure) const;
  void reportHealth(bool success, const UpstreamFailure* failure);

  void sendResponseHead();
  void appendResponseBody(std::string_view data);
  void flushToClient();
  void sendBufferedResponse();
  void sendLocalReply(LocalReply&& reply, const char* source);
  void sendError(int status, std::string_view message);
  void writeLocalReply();
  void sendContinueIfNeeded();
  void forwardPendingBody();
  void sendBodyUpstream(std::string_view data);
  void finish(bool closeConnection);
  void writeAccessLog();
  void resetUpstream();
  bool computeKeepAlive() const;
  // True when request-body bytes can go to the upstream now (ready, streaming, not full).
  bool canForwardBody() const;
  int64_t msSince(event::MonotonicTime t) const;
  // The most a body buffered for plugins may hold: limits.maxBodyBytes, or 8 MiB when unlimited.
  uint64_t bufferedBodyCap() const {
    constexpr uint64_t kDefaultBodyCap = 8 * 1024 * 1024;
    return settings_.limits.maxBodyBytes != 0 ? settings_.limits.maxBodyBytes : kDefaultBodyCap;
  }

  WorkerContext& context_;
  StreamOwner& owner_;
  ConfigSnapshotSharedPtr snapshot_;
  const config::GatewaySettings& settings_;
  RequestState state_;
  char requestId_[17]{};
  Waiting waiting_{Waiting::Start};
  plugin::Phase collectingFor_{plugin::Phase::Rewrite};
  plugin::RequestPluginsPtr plugins_;
  std::function<void(StatusOr<std::string_view>)> bodyWaiter_;
  std::optional<Waiting> waitingBeforeCollect_;  // The phase a lazy body read interrupted.

  RequestBodyState body_;
  ResponseState response_;

  const config::Upstream* upstreamEntity_{nullptr};
  // From the worker's cache, or the request's own when its config is not the current one (a
  // reload since it started); shared, so a reload meanwhile cannot free it under us.
  std::shared_ptr<upstream::Balancer> balancer_;
  UpstreamRequestPtr upstream_;
  std::vector<upstream::Endpoint> tried_;
  std::optional<upstream::Endpoint> pinnedTarget_;  // Transparent retry on a fresh connection.
  std::string lastTarget_;
  int retriesLeft_{0};
  bool retriedTransparently_{false};

  event::MonotonicTime startMono_{};
  event::MonotonicTime sentMono_{};
  bool closeAfter_{false};
  bool upstreamReady_{false};  // The current UpstreamRequest wrote its head; body may flow.
};
using StreamPtr = std::unique_ptr<Stream>;

} // namespace gateway::proxy
