// Gantry's own sections: `gantry:` (GatewaySettings) and `plugin_servers:` (PluginServer).

#include "config/builder.h"
#include "config/validators.h"

namespace gateway::config::detail {

namespace {

constexpr int64_t kMaxMillis = 2147483647;
constexpr int64_t kMaxSize = INT64_MAX;

// "host:port" or {host: ..., port: ...}.
std::optional<ListenAddress> readListen(Builder& b, const YAML::Node& node, const std::string& path) {
  ListenAddress a;
  if (node.IsMap()) {
    MapReader m(node, path, b.errors);
    bool ok = true;
    if (m.string("host", a.host, /*required=*/true)) {
      std::string err = checkHost(a.host);
      if (!err.empty()) { m.error("host", err); ok = false; }
    } else {
      ok = false;
    }
    if (!m.has("port")) { m.missing("port"); ok = false; }
    else if (!m.integer("port", a.port, 0, 65535)) ok = false;
    m.finish();
    return ok ? std::optional(a) : std::nullopt;
  }
  auto text = readString(node, path, b.errors);
  if (!text) return std::nullopt;
  std::string err;
  HostPort hp = parseHostPort(*text, err, /*allowPortZero=*/true);
  if (err.empty() && !hp.port) err = "missing port";
  if (err.empty()) err = checkHost(hp.host);
  if (!err.empty()) {
    b.errors.add(node.Mark(), path, "invalid address '" + *text + "': " + err + " (expected host:port)");
    return std::nullopt;
  }
  a.host = hp.host;
  a.port = *hp.port;
  return a;
}

void readMillis(MapReader& m, const std::string& key, Millis& out, int64_t min = 1) {
  int64_t v = 0;
  if (m.integer(key, v, min, kMaxMillis)) out = Millis(v);
}

void readLimits(Builder& b, const YAML::Node& node, const std::string& path, Limits& l) {
  MapReader m(node, path, b.errors);
  if (!m.valid()) return;
  m.integer("max_request_line_bytes", l.maxRequestLineBytes, 1, kMaxSize);
  m.integer("max_header_bytes", l.maxHeaderBytes, 1, kMaxSize);
  m.integer("max_header_count", l.maxHeaderCount, 1, kMaxSize);
  m.integer("max_body_bytes", l.maxBodyBytes, 0, kMaxSize);  // 0 = unlimited
  readMillis(m, "client_header_timeout", l.clientHeaderTimeout);
  readMillis(m, "client_body_timeout", l.clientBodyTimeout);
  readMillis(m, "keepalive_timeout", l.keepaliveTimeout);
  m.integer("max_connections", l.maxConnections, 1, kMaxSize);
  m.integer("upstream_keepalive_pool_size", l.upstreamKeepalivePoolSize, 0, kMaxSize);  // 0 = off
  readMillis(m, "upstream_keepalive_idle_timeout", l.upstreamKeepaliveIdleTimeout);
  m.integer("buffer_bytes", l.bufferBytes, 1, kMaxSize);
  m.finish();
}

void readLog(Builder& b, const YAML::Node& node, const std::string& path, LogSettings& l) {
  MapReader m(node, path, b.errors);
  if (!m.valid()) return;
  if (m.string("access_log", l.accessLog) && l.accessLog.empty()) m.error("access_log", "must not be empty");
  std::string format;
  if (m.oneOf("access_log_format", format, {"json", "text"}))
    l.accessLogFormat = format == "text" ? LogFormat::Text : LogFormat::Json;
  if (m.string("error_log", l.errorLog) && (l.errorLog.empty() || l.errorLog == "off"))
    m.error("error_log", "must be \"stdout\", \"stderr\" or a file path");
  m.oneOf("error_log_level", l.errorLogLevel, {"debug", "info", "notice", "warn", "error", "crit"});
  m.finish();
}

} // namespace

void parseGatewaySettings(Builder& b, const YAML::Node& node, const std::string& path) {
  MapReader m(node, path, b.errors);
  if (!m.valid()) return;
  GatewaySettings& g = b.config.gateway;
  if (YAML::Node listen = m.get("listen")) {
    if (isSequence(listen, m.fieldPath("listen"), b.errors)) {
      std::vector<ListenAddress> addresses;
      for (size_t i = 0; i < listen.size(); ++i)
        if (auto a = readListen(b, listen[i], indexPath(m.fieldPath("listen"), i))) addresses.push_back(*a);
      if (listen.size() == 0) m.error("listen", "must not be empty");
      g.listen = std::move(addresses);
    }
  }
  m.integer("workers", g.workers, 0, 1024);
  readMillis(m, "drain_timeout", g.drainTimeout, 0);
  if (YAML::Node limits = m.get("limits")) readLimits(b, limits, m.fieldPath("limits"), g.limits);
  if (YAML::Node log = m.get("log")) readLog(b, log, m.fieldPath("log"), g.log);
  if (YAML::Node status = m.get("status_listen")) g.statusListen = readListen(b, status, m.fieldPath("status_listen"));
  m.boolean("latency_headers", g.latencyHeaders);
  m.boolean("server_tokens", g.serverTokens);
  m.finish();
}

void parsePluginServer(Builder& b, const YAML::Node& node, const std::string& path) {
  MapReader m(node, path, b.errors);
  if (!m.valid()) return;
  PluginServer s;
  if (m.string("name", s.name, /*required=*/true)) {
    std::string err = checkName(s.name);
    if (!err.empty()) m.error("name", err);
    for (const auto& other : b.config.pluginServers)
      if (other.name == s.name) m.error("name", "duplicate plugin server name '" + s.name + "'");
  }
  if (m.stringList("command", s.command) && s.command.empty()) m.error("command", "must not be empty");
  if (YAML::Node env = m.get("env")) {
    MapReader e(env, m.fieldPath("env"), b.errors);
    if (e.valid()) {
      for (auto it = env.begin(); it != env.end(); ++it) {
        if (!it->first.IsScalar()) continue;  // reported by finish()
        const std::string& key = it->first.Scalar();
        e.accept(key);
        if (key == "_comment" || key == "_ignore") continue;
        // Values are any scalar, taken as written (PORT: 8080 is "8080").
        if (!it->second.IsScalar())
          b.errors.add(it->second.Mark(), e.fieldPath(key), "expected a string, got " + describe(it->second));
        else
          s.env[key] = it->second.Scalar();
      }
      e.finish();
    }
  }
  if (m.string("address", s.address)) {
    std::string err;
    if (s.address.rfind("unix:", 0) == 0) {
      if (s.address.size() == 5) err = "missing socket path after 'unix:'";
    } else {
      HostPort hp = parseHostPort(s.address, err);
      if (err.empty() && !hp.port) err = "missing port";
    }
    if (!err.empty()) m.error("address", "invalid address '" + s.address + "': " + err +
                                             " (expected \"unix:/path\" or \"host:port\")");
  }
  if (m.has("command") == m.has("address"))
    b.errors.add(node.Mark(), path, "set exactly one of 'command' (gantry starts the server) or 'address' "
                                    "(the server runs on its own)");
  readMillis(m, "start_timeout", s.startTimeout);
  readMillis(m, "phase_timeout", s.phaseTimeout);
  m.boolean("fail_open", s.failOpen);
  m.integer("streams", s.streams, 0, 1024);
  m.finish();
  b.config.pluginServers.push_back(std::move(s));
}

} // namespace gateway::config::detail
