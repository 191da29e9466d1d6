// Kong route matching and priority.
//
// Matching (a route matches when every criterion it sets matches; within a criterion any one
// listed value suffices):
//   methods  exact, case-sensitive against the upper-cased configured methods.
//   hosts    exact, case-insensitive ("a.com"), or one wildcard label at either end: "*.a.com"
//            matches "x.a.com" and "x.y.a.com" (Kong's `.+`), "a.*" matches "a.com", "a.co.uk".
//            A port in a configured host ("a.com:8000") is ignored: the caller strips the
//            request's port, so hosts compare without ports. Exact hosts are tried before
//            wildcards for matchedHost.
//   headers  for every configured header name the request has a field of that name whose value
//            equals one configured value, case-insensitively, or, for a "~*regex" value, in which
//            the regex finds a match (searched, case-insensitive). A configured "host" header is
//            ignored, as in Kong (hosts does that job).
//   paths    plain: prefix of the raw request path. "~regex": ECMAScript regex anchored at the
//            start of the path only (Kong's "a" flag; add "$" to anchor the end); captures fill
//            RouteMatch (see below).
//
// Priority. Each route is split into one candidate per path (Kong splits routes by path too), so
// a route's longer path competes on its own length. Candidates are tried in this order, first
// match wins (Kong 3.x `traditional_compatible`, kong/router/compat.lua get_priority()):
//   1. more criteria kinds set first (methods, hosts, headers, paths: 0..4; Kong's match_weight);
//   2. routes whose hosts are all plain (no wildcard) before the others;
//   3. more headers first;
//   4. regex paths before plain paths;
//   5. among regex paths, higher regex_priority first;
//   6. among plain paths, longer prefix first;
//   7. tie-break from Kong's older `traditional` router: by criteria kinds present, hosts >
//      headers > paths > methods (compat leaves this tie to route ids, i.e. arbitrary);
//   8. Route.order (creation order) ascending, then position in config.routes, then the path's
//      position in the route.
//
// Not matched at all: routes with no criteria (Kong rejects them), routes of a disabled service
// (Kong leaves them out of the router), paths whose regex does not compile (the config loader
// should have rejected them with validateRoutePath(); a route none of whose paths compile is
// dropped rather than matching every path).
//
// Captures (regex paths): unnamedCaptures[0] is the regex match (also matchedPrefix), then every
// group in order ("" when a group did not participate); namedCaptures lists named groups.
//
// Cost: match() scans the pre-sorted candidates; when the request host is an exact host of some
// route only the candidates carrying that host plus those without exact-only hosts are scanned.
// Plain criteria compare string_views without allocating; a RouteMatch is built only on success.

#include "router/router_impl.h"

#include <algorithm>
#include <tuple>

#include "gateway/http/header_map.h"

namespace gateway::router {

namespace detail {

namespace {

char lowerChar(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }
char upperChar(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c; }

std::string toLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = lowerChar(c);
  }
  return out;
}

std::string toUpper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = upperChar(c);
  }
  return out;
}

bool allDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// "a.com:8000" -> "a.com", "[::1]:80" -> "[::1]"; anything else unchanged.
std::string_view stripPort(std::string_view host) {
  if (!host.empty() && host.front() == '[') {
    size_t close = host.find(']');
    if (close != std::string_view::npos && close + 1 < host.size() && host[close + 1] == ':' &&
        allDigits(host.substr(close + 2))) {
      return host.substr(0, close + 1);
    }
    return host;
  }
  size_t colon = host.find(':');
  if (colon != std::string_view::npos && host.find(':', colon + 1) == std::string_view::npos &&
      allDigits(host.substr(colon + 1))) {
    return host.substr(0, colon);
  }
  return host;
}

bool hostMatches(const HostRule& rule, std::string_view host) {
  switch (rule.kind) {
  case HostRule::Kind::Exact:
    return host == rule.value;
  case HostRule::Kind::LeadingWildcard:  // value ".a.com": at least one character before it.
    return host.size() > rule.value.size() && host.ends_with(rule.value);
  case HostRule::Kind::TrailingWildcard:  // value "a.": at least one character after it.
    return host.size() > rule.value.size() && host.starts_with(rule.value);
  }
  return false;
}

bool headerRuleMatches(const HeaderRule& rule, const http::HeaderMap& headers) {
  for (const http::HeaderField& field : headers.fields()) {
    if (!http::iequals(field.name, rule.name)) {
      continue;
    }
    for (const std::string& value : rule.values) {
      if (http::iequals(field.value, value)) {
        return true;
      }
    }
    for (const std::regex& pattern : rule.patterns) {
      if (std::regex_search(field.value, pattern)) {
        return true;
      }
    }
  }
  return false;
}

const config::Service* findService(const config::Config& config, const std::string& id) {
  for (const config::Service& service : config.services) {
    if (service.id == id) {
      return &service;
    }
  }
  return nullptr;
}

auto sortTuple(const Priority& p) {
  // Fields where larger wins are negated so that the tuple sorts ascending.
  return std::make_tuple(-p.matchWeight, !p.plainHostsOnly, -static_cast<long long>(p.headerCount),
                         !p.regexPath, -static_cast<long long>(p.regexPriority),
                         -static_cast<long long>(p.prefixLength), -p.categoryBits, p.order,
                         p.position, p.pathIndex);
}

// Compiles one route; nullopt when the route can never match (see the header comment).
std::optional<CompiledRoute> compileRoute(const config::Config& config, const config::Route& route) {
  CompiledRoute compiled;
  compiled.route = &route;
  if (!route.serviceId.empty()) {
    compiled.service = findService(config, route.serviceId);
    if (compiled.service != nullptr && !compiled.service->enabled) {
      return std::nullopt;
    }
  }
  for (const std::string& method : route.methods) {
    compiled.methods.push_back(toUpper(method));
  }
  // Exact hosts first so that matchedHost prefers them, then wildcards.
  for (int pass = 0; pass < 2; ++pass) {
    for (const std::string& host : route.hosts) {
      std::string value = toLower(stripPort(host));
      bool wildcard = value.find('*') != std::string::npos;
      if (wildcard != (pass == 1)) {
        continue;
      }
      HostRule rule{&host, value, HostRule::Kind::Exact};
      if (wildcard) {
        if (value.size() >= 2 && value.starts_with("*.")) {
          rule.kind = HostRule::Kind::LeadingWildcard;
          rule.value = value.substr(1);
        } else if (value.size() >= 2 && value.ends_with(".*")) {
          rule.kind = HostRule::Kind::TrailingWildcard;
          rule.value = value.substr(0, value.size() - 1);
        } else {
          continue;  // Kong allows "*" only as a whole leftmost or rightmost label.
        }
      }
      compiled.hosts.push_back(std::move(rule));
    }
  }
  if (!route.hosts.empty() && compiled.hosts.empty()) {
    return std::nullopt;
  }
  for (const auto& [name, values] : route.headers) {
    std::string lowerName = toLower(name);
    if (lowerName == "host" || values.empty()) {
      continue;
    }
    HeaderRule rule;
    rule.name = std::move(lowerName);
    for (const std::string& value : values) {
      if (value.starts_with("~*")) {
        try {
          rule.patterns.emplace_back(value.substr(2),
                                     std::regex::ECMAScript | std::regex::icase | std::regex::optimize);
        } catch (const std::regex_error&) {
          // Skipped; validateRoutePath-style checks for headers belong to the config loader.
        }
      } else {
        rule.values.push_back(toLower(value));
      }
    }
    if (rule.values.empty() && rule.patterns.empty()) {
      return std::nullopt;  // Nothing could ever match this header.
    }
    compiled.headers.push_back(std::move(rule));
  }
  for (const std::string& path : route.paths) {
    PathRule rule;
    rule.configured = &path;
    if (path.starts_with("~")) {
      StatusOr<PathRegex> regex = compilePathRegex(std::string_view(path).substr(1));
      if (!regex) {
        continue;
      }
      rule.isRegex = true;
      rule.regex = std::move(regex).value();
    } else {
      rule.prefix = path;
    }
    compiled.paths.push_back(std::move(rule));
  }
  if (!route.paths.empty() && compiled.paths.empty()) {
    return std::nullopt;
  }
  if (compiled.methods.empty() && compiled.hosts.empty() && compiled.headers.empty() &&
      compiled.paths.empty()) {
    return std::nullopt;
  }
  return compiled;
}

} // namespace

bool higherPriority(const Priority& a, const Priority& b) { return sortTuple(a) < sortTuple(b); }

RouterImpl::RouterImpl(const config::Config& config) {
  routes_.reserve(config.routes.size());
  std::vector<size_t> positions;
  for (size_t i = 0; i < config.routes.size(); ++i) {
    std::optional<CompiledRoute> compiled = compileRoute(config, config.routes[i]);
    if (compiled) {
      routes_.push_back(std::move(*compiled));
      positions.push_back(i);
    }
  }

  for (uint32_t r = 0; r < routes_.size(); ++r) {
    const CompiledRoute& route = routes_[r];
    Priority base;
    base.matchWeight = int(!route.methods.empty()) + int(!route.hosts.empty()) +
                       int(!route.headers.empty()) + int(!route.paths.empty());
    base.plainHostsOnly =
        !route.hosts.empty() && std::all_of(route.hosts.begin(), route.hosts.end(), [](const HostRule& h) {
          return h.kind == HostRule::Kind::Exact;
        });
    base.headerCount = route.headers.size();
    base.categoryBits = (route.hosts.empty() ? 0 : 8) | (route.headers.empty() ? 0 : 4) |
                        (route.paths.empty() ? 0 : 2) | (route.methods.empty() ? 0 : 1);
    base.order = route.route->order;
    base.position = positions[r];
    if (route.paths.empty()) {
      candidates_.push_back(Candidate{r, -1, base});
      continue;
    }
    for (size_t p = 0; p < route.paths.size(); ++p) {
      Priority priority = base;
      const PathRule& path = route.paths[p];
      priority.regexPath = path.isRegex;
      priority.regexPriority = path.isRegex ? route.route->regexPriority : 0;
      priority.prefixLength = path.isRegex ? 0 : path.prefix.size();
      priority.pathIndex = static_cast<int>(p);
      candidates_.push_back(Candidate{r, static_cast<int32_t>(p), priority});
    }
  }
  std::sort(candidates_.begin(), candidates_.end(), [](const Candidate& a, const Candidate& b) {
    return higherPriority(a.priority, b.priority);
  });

  for (uint32_t c = 0; c < candidates_.size(); ++c) {
    const CompiledRoute& route = routes_[candidates_[c].route];
    bool exactOnly = !route.hosts.empty();
    for (const HostRule& host : route.hosts) {
      if (host.kind == HostRule::Kind::Exact) {
        std::vector<uint32_t>& list = byExactHost_[host.value];
        if (list.empty() || list.back() != c) {
          list.push_back(c);
        }
      } else {
        exactOnly = false;
      }
    }
    if (!exactOnly) {
      fallback_.push_back(c);
    }
  }
}

std::optional<RouteMatch> RouterImpl::match(const MatchInput& input) const {
  const std::vector<uint32_t>* exact = nullptr;
  if (!byExactHost_.empty()) {
    auto it = byExactHost_.find(input.host);
    if (it != byExactHost_.end()) {
      exact = &it->second;
    }
  }
  if (exact == nullptr) {
    for (uint32_t c : fallback_) {
      if (std::optional<RouteMatch> m = tryCandidate(candidates_[c], input)) {
        return m;
      }
    }
    return std::nullopt;
  }
  // Merge the two ascending index lists, so candidates are still tried in priority order.
  size_t i = 0;
  size_t j = 0;
  while (i < exact->size() || j < fallback_.size()) {
    uint32_t c;
    if (j == fallback_.size() || (i < exact->size() && (*exact)[i] <= fallback_[j])) {
      c = (*exact)[i++];
      if (j < fallback_.size() && fallback_[j] == c) {
        ++j;
      }
    } else {
      c = fallback_[j++];
    }
    if (std::optional<RouteMatch> m = tryCandidate(candidates_[c], input)) {
      return m;
    }
  }
  return std::nullopt;
}

std::optional<RouteMatch> RouterImpl::tryCandidate(const Candidate& candidate,
                                                   const MatchInput& input) const {
  const CompiledRoute& route = routes_[candidate.route];

  if (!route.methods.empty() &&
      std::find(route.methods.begin(), route.methods.end(), input.method) == route.methods.end()) {
    return std::nullopt;
  }

  const HostRule* matchedHost = nullptr;
  if (!route.hosts.empty()) {
    for (const HostRule& host : route.hosts) {
      if (hostMatches(host, input.host)) {
        matchedHost = &host;
        break;
      }
    }
    if (matchedHost == nullptr) {
      return std::nullopt;
    }
  }

  if (!route.headers.empty()) {
    if (input.headers == nullptr) {
      return std::nullopt;
    }
    for (const HeaderRule& rule : route.headers) {
      if (!headerRuleMatches(rule, *input.headers)) {
        return std::nullopt;
      }
    }
  }

  const PathRule* path = candidate.path >= 0 ? &route.paths[candidate.path] : nullptr;
  std::cmatch groups;
  if (path != nullptr) {
    if (!path->isRegex) {
      if (!input.path.starts_with(path->prefix)) {
        return std::nullopt;
      }
    } else if (!std::regex_search(input.path.data(), input.path.data() + input.path.size(), groups,
                                  path->regex.regex, std::regex_constants::match_continuous)) {
      return std::nullopt;
    }
  }

  RouteMatch match;
  match.route = route.route;
  match.service = route.service;
  if (matchedHost != nullptr) {
    match.matchedHost = *matchedHost->configured;
  }
  if (path != nullptr) {
    match.matchedPath = *path->configured;
    if (!path->isRegex) {
      match.matchedPrefix = path->prefix;
    } else {
      match.matchedPrefix = groups.str(0);
      match.unnamedCaptures.reserve(groups.size());
      for (size_t g = 0; g < groups.size(); ++g) {
        match.unnamedCaptures.push_back(groups[g].matched ? groups.str(g) : std::string());
      }
      const std::vector<std::string>& names = path->regex.groupNames;
      for (size_t g = 0; g < names.size(); ++g) {
        if (!names[g].empty()) {
          match.namedCaptures.emplace_back(names[g], match.unnamedCaptures[g + 1]);
        }
      }
    }
  }
  return match;
}

} // namespace detail

RouterPtr createRouter(const config::Config& config) {
  return std::make_unique<detail::RouterImpl>(config);
}

Status validateRoutePath(std::string_view path) {
  if (path.starts_with("~")) {
    StatusOr<PathRegex> regex = compilePathRegex(path.substr(1));
    return regex ? Status::ok() : regex.status();
  }
  if (!path.starts_with("/")) {
    return invalidArgument("route path '" + std::string(path) + "' must start with '/' or '~'");
  }
  return Status::ok();
}

} // namespace gateway::router
