#pragma once

// The PDK: what a plugin's phase method can read and change, one area per member, named after
// Kong's PDK (kong.request -> pdk.request, kong.service.request -> pdk.serviceRequest, ...).
//
// Threading and lifetime: a Pdk is made for one instance within one phase call and is valid only
// during the phase method it is passed to; it is used by that method's thread only.
// Getters answer from the call's snapshot without any round trip. A getter that returns a
// std::string_view points into the snapshot: it stays valid until the next setter of the same
// call (setters update the snapshot) or the end of the phase method, whichever comes first.
// Setters record a mutation (sent back to gantry at the end of the call) and apply it to the
// snapshot, so later reads and later plugins of the same call see it. Calls that need data
// outside the snapshot (bodies when not declared, route/service entities, consumer and credential
// lookups, node id, trusted IPs) make one lazy round trip to gantry on the same stream and block
// the calling worker thread until the answer arrives.
// After exit() the plugin chain of the call ends; later setters of the same call are ignored.

#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

#include "gantry_pdk/types.h"

namespace gantry_pdk {

namespace detail {
class CallState;  // src/call_state.h: the snapshot, recorded mutations and the fetcher of a call.
}

// kong.request: the request as received from the client (downstream), with earlier plugins'
// header changes applied.
class Request {
public:
  explicit Request(detail::CallState& state) : state_(state) {}
  std::string_view scheme() const;
  std::string_view host() const;
  uint32_t port() const;
  std::string_view forwardedScheme() const;
  std::string_view forwardedHost() const;
  uint32_t forwardedPort() const;
  std::string_view method() const;
  std::string_view path() const;
  std::string pathWithQuery() const;
  std::string_view rawQuery() const;
  // The first value of a query argument, percent-decoded; nullopt when absent.
  std::optional<std::string> queryArg(std::string_view name) const;
  // All query arguments, percent-decoded, in order of appearance per name.
  HeaderMap query() const;
  // The first value of a header (case-insensitive); nullopt when absent.
  std::optional<std::string_view> header(std::string_view name) const;
  // All headers in order.
  const Headers& headers() const;
  // Headers grouped by lower-cased name.
  HeaderMap headerMap() const;
  std::string_view httpVersion() const;
  // The whole body: from the snapshot when the plugin declared the phase in bodyPhases(),
  // otherwise one lazy fetch (cached for the rest of the call).
  std::string_view rawBody();
  // Captures of a regex route path (lazy fetch).
  UriCaptures uriCaptures();
  int64_t startTimeMs() const;
  // Gantry's request id (also sent upstream as X-Gantry-Request-Id).
  std::string_view id() const;

private:
  detail::CallState& state_;
};

// kong.response: the response to the client (downstream).
class Response {
public:
  explicit Response(detail::CallState& state) : state_(state) {}
  // Status that will be (log phase: was) sent; 0 before the response phases.
  int status() const;
  std::optional<std::string_view> header(std::string_view name) const;
  const Headers& headers() const;
  HeaderMap headerMap() const;
  // "service", "exit" or "error"; empty before the response phases.
  std::string_view source() const;

  void setStatus(int status);
  void setHeader(std::string_view name, std::string_view value);
  void addHeader(std::string_view name, std::string_view value);
  void clearHeader(std::string_view name);
  // Sets each name to its values (replacing earlier values of those names).
  void setHeaders(const HeaderMap& headers);
  // Replaces the body sent to the client (response phase).
  void setRawBody(std::string body);

  // kong.response.exit: ends the request with this response and the plugin chain of this call.
  void exit(int status);
  void exit(int status, std::string body, Headers headers = {});
  // Exit with a JSON body and Content-Type: application/json.
  void exitJson(int status, const nlohmann::json& body, Headers headers = {});

private:
  detail::CallState& state_;
};

// kong.service.request: the request gantry will send to the service (upstream).
class ServiceRequest {
public:
  explicit ServiceRequest(detail::CallState& state) : state_(state) {}
  void setScheme(std::string_view scheme);
  void setPath(std::string_view path);
  void setRawQuery(std::string_view query);
  // Encodes the arguments (names sorted, values in order).
  void setQuery(const HeaderMap& args);
  void setMethod(std::string_view method);
  void setHeader(std::string_view name, std::string_view value);
  void addHeader(std::string_view name, std::string_view value);
  void clearHeader(std::string_view name);
  void setHeaders(const HeaderMap& headers);
  void setRawBody(std::string body);

private:
  detail::CallState& state_;
};

// kong.service.response: the response as the service (upstream) sent it.
class ServiceResponse {
public:
  explicit ServiceResponse(detail::CallState& state) : state_(state) {}
  int status() const;
  std::optional<std::string_view> header(std::string_view name) const;
  const Headers& headers() const;
  HeaderMap headerMap() const;
  // The buffered upstream body (response phase only).
  std::optional<std::string_view> rawBody() const;

private:
  detail::CallState& state_;
};

// kong.client: the downstream client and its authentication.
class Client {
public:
  explicit Client(detail::CallState& state) : state_(state) {}
  std::string_view ip() const;
  uint32_t port() const;
  std::string_view forwardedIp() const;
  uint32_t forwardedPort() const;
  // The authenticated consumer / credential, if any.
  std::optional<Consumer> consumer() const;
  std::optional<Credential> credential() const;
  // Sets the consumer and credential of the request (rewrite, access). At least one is needed.
  void authenticate(std::optional<Consumer> consumer, std::optional<Credential> credential);
  // A configured consumer by id (or username); lazy fetch. nullopt when not found.
  std::optional<Consumer> loadConsumer(std::string_view idOrUsername, bool byUsername = false);
  // A configured credential by one field, e.g. ("keyauth_credentials", "key", apikey); lazy.
  std::optional<CredentialMatch> findCredential(std::string_view kind, std::string_view field,
                                                std::string_view value);

private:
  detail::CallState& state_;
};

// kong.ctx.shared: values shared by all plugins of a request (JSON values).
class Ctx {
public:
  explicit Ctx(detail::CallState& state) : state_(state) {}
  std::optional<nlohmann::json> shared(std::string_view key) const;
  void setShared(std::string_view key, const nlohmann::json& value);
  void eraseShared(std::string_view key);

private:
  detail::CallState& state_;
};

// kong.log: lines for gantry's error log, prefixed with the plugin name. Arguments are
// concatenated as with operator<<.
class Log {
public:
  explicit Log(detail::CallState& state) : state_(state) {}
  template <class... Args> void debug(const Args&... args) { write(LogLevel::Debug, args...); }
  template <class... Args> void info(const Args&... args) { write(LogLevel::Info, args...); }
  template <class... Args> void notice(const Args&... args) { write(LogLevel::Notice, args...); }
  template <class... Args> void warn(const Args&... args) { write(LogLevel::Warn, args...); }
  template <class... Args> void err(const Args&... args) { write(LogLevel::Err, args...); }
  template <class... Args> void crit(const Args&... args) { write(LogLevel::Crit, args...); }
  template <class... Args> void alert(const Args&... args) { write(LogLevel::Alert, args...); }
  void line(LogLevel level, std::string message);
  // kong.log.serialize(): the request summary (log phase), as Kong's JSON object.
  nlohmann::json serialize() const;

private:
  template <class... Args> void write(LogLevel level, const Args&... args) {
    std::ostringstream out;
    ((out << args), ...);
    line(level, std::move(out).str());
  }
  detail::CallState& state_;
};

// kong.router: the matched route and service.
class Router {
public:
  explicit Router(detail::CallState& state) : state_(state) {}
  std::string_view routeId() const;
  std::string_view serviceId() const;
  // The full entities (lazy fetch); nullopt when there is none.
  std::optional<entities::Route> route();
  std::optional<entities::Service> service();

private:
  detail::CallState& state_;
};

// kong.service: where the request goes upstream.
class Service {
public:
  explicit Service(detail::CallState& state) : state_(state) {}
  void setTarget(std::string_view host, uint32_t port);
  void setUpstream(std::string_view upstreamName);

private:
  detail::CallState& state_;
};

// kong.node.
class Node {
public:
  explicit Node(detail::CallState& state) : state_(state) {}
  std::string id();  // Lazy fetch.

private:
  detail::CallState& state_;
};

// kong.ip.
class Ip {
public:
  explicit Ip(detail::CallState& state) : state_(state) {}
  bool isTrusted(std::string_view address);  // Lazy fetch.

private:
  detail::CallState& state_;
};

// All areas, handed to each phase method.
class Pdk {
public:
  Pdk(detail::CallState& state, uint64_t instanceId);
  Pdk(const Pdk&) = delete;
  Pdk& operator=(const Pdk&) = delete;

  Phase phase() const;
  uint64_t instanceId() const { return instanceId_; }

  Request request;
  Response response;
  ServiceRequest serviceRequest;
  ServiceResponse serviceResponse;
  Client client;
  Ctx ctx;
  Log log;
  Router router;
  Service service;
  Node node;
  Ip ip;

private:
  detail::CallState& state_;
  uint64_t instanceId_;
};

// Thrown inside a handler by a lazy fetch when the core cancelled the call (or the stream
// ended). Let it propagate: the SDK abandons the call without replying.
struct Cancelled : std::exception {
  const char* what() const noexcept override { return "phase call cancelled"; }
};

}  // namespace gantry_pdk
