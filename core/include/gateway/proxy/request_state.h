#pragma once

// The state of one proxied request that plugins read (the phase snapshot) and change (mutations).
// Owned by the proxy's per-request stream (core/src/proxy/); the plugin runtime borrows it for the
// duration of a phase. Single-threaded: lives on its worker's thread.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gateway/config/model.h"
#include "gateway/http/message.h"
#include "gateway/router/router.h"
#include "gateway/upstream/balancer.h"

namespace gateway::proxy {

// A response produced by the gateway itself (plugin Exit, error page) instead of the upstream.
struct LocalReply {
  int status{200};
  http::HeaderMap headers;
  std::string body;
  bool hasBody{false};  // Kong's exit without body sends no body (not even a default message).
};

struct RequestState {
  uint64_t id{0};                        // Unique per process; also sent as X-Gantry-Request-Id.
  std::chrono::system_clock::time_point startedAt;

  // Downstream (client) side.
  std::string clientIp;
  uint16_t clientPort{0};
  std::string scheme{"http"};
  std::string host;                      // Host header without port (lower-cased).
  uint16_t port{0};                      // Port the client connected to.
  // The request as received. Plugins' service-request header mutations change `request.headers`
  // (as in Kong, kong.request.get_header sees kong.service.request.set_header).
  http::RequestHead request;

  // Routing (set after the router ran).
  const config::Route* route{nullptr};      // Borrowed from the request's Config snapshot.
  const config::Service* service{nullptr};
  std::optional<router::RouteMatch> match;

  // Upstream request overrides set by plugins (unset = derived by the proxy).
  std::optional<std::string> upstreamPath;
  std::optional<std::string> upstreamQuery;
  std::optional<std::string> upstreamMethod;
  std::optional<std::string> upstreamScheme;
  // Host header sent upstream (kong.service.request.set_header("Host", ...)); unset = the
  // target host (or the client's with preserve_host). The client's Host in `request.headers`
  // never goes upstream as such.
  std::optional<std::string> upstreamHost;
  std::optional<std::string> upstreamBody;      // Replaces the client body when set.
  std::optional<upstream::Endpoint> upstreamTarget;  // kong.service.set_target
  std::optional<std::string> upstreamName;           // kong.service.set_upstream

  // Authentication (kong.client.authenticate).
  const config::Consumer* consumer{nullptr};
  std::string credentialId;
  std::string credentialConsumerId;

  // kong.ctx.shared: key -> JSON-encoded value.
  std::map<std::string, std::string> shared;

  // Request body, when a plugin declared it needs it (buffered before the phase runs).
  std::optional<std::string> requestBody;

  // Response side (response phases and log).
  bool hasResponse{false};
  http::ResponseHead response;           // What goes (or went) to the client; plugins mutate it.
  int serviceStatus{0};                  // Status the upstream answered (0 = none).
  http::HeaderMap serviceResponseHeaders;// Headers as the upstream sent them.
  std::optional<std::string> responseBody;  // Buffered body (response phase) or a replacement.
  std::string responseSource{"service"};    // "service", "exit" or "error" (kong.response.get_source).

  // A plugin ended the request (kong.response.exit).
  std::optional<LocalReply> exit;

  // Log lines produced by plugins, already formatted, for the error log.
  std::vector<std::string> pluginLogLines;

  // Timings in milliseconds, for the log phase and latency headers.
  int64_t upstreamLatencyMs{-1};
  int64_t proxyLatencyMs{-1};
  int64_t totalLatencyMs{-1};
  uint64_t bytesSent{0};
  uint64_t bytesReceived{0};
};

} // namespace gateway::proxy
