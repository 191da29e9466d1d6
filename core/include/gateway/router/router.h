#pragma once

// Route matching with Kong's rules (hosts exact/wildcard, paths prefix/regex, methods, headers;
// Kong's priority order). A Router is built once per Config and is immutable and thread-safe
// afterwards; workers share it with the Config it was built from.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gateway/common/status.h"
#include "gateway/config/model.h"
#include "gateway/http/header_map.h"

namespace gateway::router {

struct MatchInput {
  std::string_view method;
  std::string_view host;     // Host header without the port, lower-cased by the caller.
  std::string_view path;     // Request path, as received (not decoded), without the query.
  const http::HeaderMap* headers{nullptr};  // Borrowed for the duration of match().
};

struct RouteMatch {
  const config::Route* route{nullptr};      // Borrowed from the Config; never null on a match.
  const config::Service* service{nullptr};  // Null when the route has no service (503).
  std::string matchedPath;   // The route path that matched, as configured ("/foo", or "~regex"
                             // with its "~"); empty if the route has no paths.
  std::string matchedPrefix; // The part of the request path the route matched (for strip_path
                             // and X-Forwarded-Prefix): the prefix, or the whole regex match.
  std::string matchedHost;   // The route host that matched; empty if the route has no hosts.
  // Regex captures, as Kong's get_uri_captures: unnamed[0] is the whole regex match (equal to
  // matchedPrefix), then every group in order ("" for a group that did not participate).
  std::vector<std::string> unnamedCaptures;
  std::vector<std::pair<std::string, std::string>> namedCaptures;
};

class Router {
public:
  virtual ~Router() = default;
  // The best route for the input by Kong's priority rules, or nullopt (404).
  virtual std::optional<RouteMatch> match(const MatchInput& input) const = 0;
};

using RouterPtr = std::unique_ptr<Router>;
using RouterSharedPtr = std::shared_ptr<const Router>;

// Builds a router over config.routes. The Config must outlive the Router.
RouterPtr createRouter(const config::Config& config);

// The upstream path for a request, joining the service path and the request path per
// strip_path and path_handling exactly as Kong does (e.g. service "/s", route "/r", strip_path,
// request "/r/x" -> "/s/x").
std::string upstreamPath(const config::Service& service, const config::Route& route,
                         const RouteMatch& match, std::string_view requestPath);

// Checks one route path as the router will read it: a plain path must start with "/"; a regex
// path ("~...") must compile as the router compiles it (ECMAScript, named groups rewritten). For
// the config loader, so that bad paths are rejected at load instead of silently never matching.
Status validateRoutePath(std::string_view path);

} // namespace gateway::router
