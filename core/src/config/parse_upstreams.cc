// Upstreams and their targets (nested `targets:` or top-level `targets:` with an `upstream:` ref).

#include "config/builder.h"
#include "config/validators.h"

namespace gateway::config::detail {

namespace {

std::optional<HashOn> readHashOn(MapReader& m, const std::string& key) {
  std::string v;
  if (!m.oneOf(key, v, {"none", "ip", "header", "consumer"})) return std::nullopt;
  if (v == "ip") return HashOn::Ip;
  if (v == "header") return HashOn::Header;
  if (v == "consumer") return HashOn::Consumer;
  return HashOn::None;
}

// Reads one target; `nested` targets must not name their upstream.
std::optional<Target> readTarget(Builder& b, MapReader& m, bool nested) {
  Target t;
  readId(m, t.id);
  std::string text;
  if (m.string("target", text, /*required=*/true)) {
    std::string err;
    HostPort hp = parseHostPort(text, err);
    if (err.empty()) err = checkHost(hp.host);
    if (!err.empty()) m.error("target", "invalid target '" + text + "': " + err);
    t.host = hp.host;
    t.port = hp.port.value_or(8000);
  }
  m.integer("weight", t.weight, 0, 65535);
  std::vector<std::string> tags;
  readTags(m, tags);
  acceptTimestamps(m);
  if (nested && m.has("upstream")) m.error("upstream", "must not be set on a target nested under an upstream");
  if (t.host.empty()) return std::nullopt;
  return t;
}

} // namespace

void parseUpstream(Builder& b, const YAML::Node& node, const std::string& path) {
  MapReader m(node, path, b.errors);
  if (!m.valid()) return;
  Upstream u;
  readId(m, u.id);
  if (m.string("name", u.name, /*required=*/true)) {
    std::string err = checkHost(u.name);
    if (!err.empty()) m.error("name", "must be a valid hostname: " + err);
  }
  std::string algorithm;
  if (m.oneOf("algorithm", algorithm, {"round-robin", "consistent-hashing", "least-connections"})) {
    u.algorithm = algorithm == "consistent-hashing"  ? BalancerAlgorithm::ConsistentHashing
                  : algorithm == "least-connections" ? BalancerAlgorithm::LeastConnections
                                                     : BalancerAlgorithm::RoundRobin;
  }
  if (auto h = readHashOn(m, "hash_on")) u.hashOn = *h;
  if (auto h = readHashOn(m, "hash_fallback")) u.hashFallback = *h;
  m.string("hash_on_header", u.hashOnHeader);
  m.string("hash_fallback_header", u.hashFallbackHeader);
  if (u.hashOn == HashOn::Header && u.hashOnHeader.empty())
    m.errors().add(node.Mark(), m.fieldPath("hash_on_header"), "required when hash_on is \"header\"");
  if (u.hashFallback == HashOn::Header && u.hashFallbackHeader.empty())
    m.errors().add(node.Mark(), m.fieldPath("hash_fallback_header"), "required when hash_fallback is \"header\"");
  if (u.hashOn == HashOn::None && u.hashFallback != HashOn::None)
    m.error("hash_fallback", "must be \"none\" when hash_on is \"none\"");
  else if (u.hashFallback != HashOn::None && u.hashFallback == u.hashOn &&
           (u.hashOn != HashOn::Header || u.hashOnHeader == u.hashFallbackHeader))
    m.error("hash_fallback", "must differ from hash_on");
  m.string("host_header", u.hostHeader);
  if (YAML::Node p = m.get("passive_health")) {
    MapReader ph(p, m.fieldPath("passive_health"), b.errors);
    ph.integer("unhealthy_failures", u.passive.unhealthyFailures, 0, 255);
    int64_t ms = 0;
    if (ph.integer("unhealthy_duration", ms, 1, 2147483647)) u.passive.unhealthyDuration = Millis(ms);
    ph.finish();
  }
  readTags(m, u.tags);
  acceptTimestamps(m);
  int slots = 10000;
  m.integer("slots", slots, 10, 65536);  // Kong's ring size: accepted, not used.
  m.accept("healthchecks");              // Kong's health checks: accepted, not used (see passive_health).
  bool useSrv = false;
  if (m.boolean("use_srv_name", useSrv) && useSrv) m.error("use_srv_name", "is not supported by gantry");
  for (const char* key : {"client_certificate", "hash_on_cookie", "hash_on_cookie_path", "hash_on_query_arg",
                          "hash_fallback_query_arg", "hash_on_uri_capture", "hash_fallback_uri_capture"})
    m.unsupported(key);

  std::vector<Origin> origins;
  if (YAML::Node targets = m.get("targets")) {
    forEach(b, targets, m.fieldPath("targets"), [&](const YAML::Node& n, const std::string& p) {
      MapReader t(n, p, b.errors);
      if (!t.valid()) return;
      if (auto target = readTarget(b, t, /*nested=*/true)) {
        u.targets.push_back(*target);
        origins.push_back(Origin{p, n.Mark()});
      }
      t.finish();
    });
  }
  m.finish();
  b.config.upstreams.push_back(std::move(u));
  b.upstreamOrigins.push_back(Origin{path, node.Mark()});
  b.targetOrigins.push_back(std::move(origins));
}

void parseTopLevelTarget(Builder& b, const YAML::Node& node, const std::string& path) {
  MapReader m(node, path, b.errors);
  if (!m.valid()) return;
  auto target = readTarget(b, m, /*nested=*/false);
  auto ref = readRef(m, "upstream");
  if (!ref && !m.has("upstream")) m.missing("upstream");
  m.finish();
  if (target && ref) b.topLevelTargets.push_back(Builder::PendingTarget{*target, *ref, Origin{path, node.Mark()}});
}

} // namespace gateway::config::detail
