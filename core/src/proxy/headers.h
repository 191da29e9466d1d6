#pragma once

// Header rewriting between the client and the upstream, as Kong does it (reference
// kong-admin-bundled.md 3.2-3.3): hop-by-hop removal, X-Forwarded-*, X-Real-IP, Via, Host,
// request id and latency headers, and the framing headers of each side. Pure functions with no
// I/O and no state; the most unit-tested file of the proxy (test/core/proxy/headers_test.cc).

#include <cstdint>
#include <string>
#include <string_view>

#include "gateway/config/model.h"
#include "gateway/http/message.h"
#include "gateway/upstream/balancer.h"

namespace gateway::proxy::headers {

// True for the fixed hop-by-hop fields a proxy never forwards (RFC 9110 7.6.1, plus nginx's
// Proxy-Connection and Keep-Alive, plus Transfer-Encoding which the proxy re-frames).
// Upgrade is hop-by-hop too but forwarded on upgrade requests, so callers decide about it.
bool isHopByHop(std::string_view name);

// True when `name` is listed as a token in any Connection header of `headers`.
bool listedInConnection(const http::HeaderMap& headers, std::string_view name);

// How the upstream request body is framed.
enum class BodyFraming {
  None,          // No body: no Content-Length / Transfer-Encoding.
  ContentLength, // Content-Length: contentLength.
  Chunked,       // Transfer-Encoding: chunked.
};

// Everything the upstream request head depends on besides the client's headers.
struct UpstreamHeadParams {
  std::string_view method;
  std::string_view path;          // Upstream path (router::upstreamPath or a plugin's).
  std::string_view query;         // Without '?'.
  bool hasQuery{false};
  std::string_view host;          // The Host value to send (see upstreamHost()).
  std::string_view clientIp;
  std::string_view forwardedProto;// "http"
  std::string_view forwardedHost; // Client host without port, lower case.
  uint16_t forwardedPort{0};      // Port the client connected to.
  std::string_view forwardedPath; // The original request path.
  std::string_view forwardedPrefix;// What strip_path removed; empty: no X-Forwarded-Prefix.
  std::string_view requestId;
  int clientVersionMinor{1};      // Via carries the client's protocol version ("1.0"/"1.1").
  bool serverTokens{true};        // Via on/off.
  bool upgrade{false};            // Forward Upgrade and send Connection: upgrade.
  BodyFraming framing{BodyFraming::None};
  uint64_t contentLength{0};
};

// Serializes the upstream request head into `out` (appended; one string, one write): request line
// (HTTP/1.1), the client's headers minus hop-by-hop fields, minus Connection-listed fields, minus
// Expect (the gateway answers 100-continue itself) and Proxy-Authorization (credentials for the
// proxy, RFC 9110 11.7.1), with Host, X-Forwarded-*, X-Real-IP, Via, X-Gantry-Request-Id and framing
// set by the gateway. X-Forwarded-For and Via are appended to, the other forwarded headers are
// replaced (Kong trusts no client-supplied X-Forwarded-* by default).
void buildUpstreamRequestHead(const http::HeaderMap& clientHeaders, const UpstreamHeadParams& params,
                              std::string& out);

// The Host header for the upstream: the client's Host when preserve_host, else the Upstream's
// host_header when set, else the target host plus ":port" unless the port is 80.
std::string upstreamHost(const upstream::Endpoint& target, const config::Upstream* upstream,
                         bool preserveHost, std::string_view clientHost);

// Host header value -> host without port, lower case ("Example.COM:8000" -> "example.com",
// "[::1]:80" -> "[::1]").
std::string normalizeHost(std::string_view hostHeader);

// Gateway headers on a response that came from the upstream.
struct ResponseParams {
  std::string_view requestId;
  bool serverTokens{true};
  bool latencyHeaders{true};
  int64_t upstreamLatencyMs{0};
  int64_t proxyLatencyMs{0};
  bool upgrade{false};  // 101: keep Upgrade and Connection: upgrade.
};

// Removes hop-by-hop fields from an upstream response (Connection and what it lists, Keep-Alive,
// Proxy-Connection, TE, Trailer, Transfer-Encoding, Upgrade unless upgrading, Proxy-Authenticate),
// appends Via, adds Server only when the upstream sent none, sets X-Gantry-Request-Id and the
// latency headers.
void rewriteUpstreamResponse(http::ResponseHead& head, const ResponseParams& params);

// Gateway headers on a locally produced response (error, plugin exit).
void decorateLocalResponse(http::ResponseHead& head, std::string_view requestId, bool serverTokens,
                           bool latencyHeaders, int64_t responseLatencyMs);

// How the body goes to the client.
enum class ClientFraming {
  NoBody,        // HEAD, 1xx, 204, 304: headers only (Content-Length kept as the upstream sent it
                 // for HEAD/304).
  ContentLength, // Content-Length: n.
  Chunked,       // HTTP/1.1 client, length unknown.
  UntilClose,    // HTTP/1.0 client, length unknown: the connection closes after the body.
};

// Chooses the client framing from the request method, the client version, the status and the
// upstream framing (`length` known when upstreamFraming is ContentLength).
ClientFraming chooseClientFraming(std::string_view method, int clientVersionMinor, int status,
                                  http::BodyFraming upstreamFraming);

// Sets Content-Length / Transfer-Encoding and Connection on the client response head: the head's
// version becomes HTTP/1.1; `keepAlive` false adds "Connection: close"; an HTTP/1.0 client kept
// alive gets "Connection: keep-alive"; `upgrade` adds "Connection: upgrade".
void setClientFraming(http::ResponseHead& head, ClientFraming framing, uint64_t contentLength,
                      bool keepAlive, int clientVersionMinor, bool upgrade);

} // namespace gateway::proxy::headers
