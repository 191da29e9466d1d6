#pragma once

// The route table behind gateway::router::Router: routes compiled once (lower-cased hosts,
// compiled regexes, upper-cased methods), split into one candidate per route path, sorted by
// Kong's priority (see the comment at the top of router_impl.cc) and scanned in order.
// Immutable after construction; match() is const and safe to call from every worker at once.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gateway/router/router.h"
#include "router/path_regex.h"

namespace gateway::router::detail {

struct HostRule {
  const std::string* configured;  // The host as written in the route (for matchedHost).
  std::string value;              // Lower case, port removed; for wildcards the fixed part
                                  // including its dot ("*.a.com" -> ".a.com", "a.*" -> "a.").
  enum class Kind { Exact, LeadingWildcard, TrailingWildcard } kind{Kind::Exact};
};

struct HeaderRule {
  std::string name;                  // Lower case.
  std::vector<std::string> values;   // Lower case; compared case-insensitively.
  std::vector<std::regex> patterns;  // From "~*regex" values; searched, case-insensitive.
};

struct PathRule {
  const std::string* configured;  // The path as written, "~" included for regexes.
  bool isRegex{false};
  std::string prefix;             // Plain paths: the prefix.
  PathRegex regex;                // Regex paths.
};

struct CompiledRoute {
  const config::Route* route{nullptr};
  const config::Service* service{nullptr};
  std::vector<std::string> methods;  // Upper case.
  std::vector<HostRule> hosts;       // Exact hosts first, then wildcards, each in config order.
  std::vector<HeaderRule> headers;
  std::vector<PathRule> paths;
};

// Sort key of one candidate; compared field by field (see router_impl.cc).
struct Priority {
  int matchWeight{0};       // Number of criteria kinds set: methods, hosts, headers, paths.
  bool plainHostsOnly{false};
  size_t headerCount{0};
  bool regexPath{false};
  int regexPriority{0};     // Only for regex candidates; 0 otherwise.
  size_t prefixLength{0};   // Only for plain-path candidates.
  int categoryBits{0};      // hosts 8 | headers 4 | paths 2 | methods 1 (Kong "traditional").
  size_t order{0};          // Route.order, then the route's position in config.routes.
  size_t position{0};
  int pathIndex{0};
};

struct Candidate {
  uint32_t route{0};   // Index into RouterImpl::routes_.
  int32_t path{-1};    // Index into CompiledRoute::paths; -1 when the route has no paths.
  Priority priority;
};

// True when a sorts before b (is tried first).
bool higherPriority(const Priority& a, const Priority& b);

class RouterImpl final : public Router {
public:
  explicit RouterImpl(const config::Config& config);

  std::optional<RouteMatch> match(const MatchInput& input) const override;

  // For tests and diagnostics: the candidates in the order they are tried.
  const std::vector<Candidate>& candidates() const { return candidates_; }
  const std::vector<CompiledRoute>& routes() const { return routes_; }

private:
  std::optional<RouteMatch> tryCandidate(const Candidate& candidate, const MatchInput& input) const;

  std::vector<CompiledRoute> routes_;
  std::vector<Candidate> candidates_;  // Sorted by priority.
  // Exact host -> indices (ascending) of candidates with that exact host. A request whose host
  // is a key scans that list merged with fallback_; any other request scans fallback_ only.
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, std::vector<uint32_t>, StringHash, std::equal_to<>> byExactHost_;
  std::vector<uint32_t> fallback_;     // Candidates without hosts or with a wildcard host.
};

} // namespace gateway::router::detail
