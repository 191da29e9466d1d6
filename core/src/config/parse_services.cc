// Services (with the `url` shorthand) and routes, nested or top-level.

#include "config/builder.h"
#include "config/validators.h"

namespace gateway::config::detail {

namespace {

constexpr int64_t kMaxTimeout = 2147483647;  // 2^31 - 1 ms, as in Kong.
const char* const kHttpsUnsupported = "https upstreams are not supported yet";

// `url: http://host[:port][/path]` -> protocol/host/port/path. Reports problems at `url`.
void applyUrl(MapReader& m, Service& s) {
  std::string url;
  if (!m.string("url", url)) return;
  for (const char* key : {"protocol", "host", "port", "path"})
    if (m.has(key)) m.error(key, "cannot be set together with url");
  size_t scheme = url.find("://");
  if (scheme == std::string::npos) {
    m.error("url", "invalid url '" + url + "': expected protocol://host[:port][/path]");
    return;
  }
  std::string protocol = url.substr(0, scheme);
  if (protocol == "https") {
    m.error("url", kHttpsUnsupported);
    return;
  }
  if (protocol != "http") {
    m.error("url", "invalid url '" + url + "': protocol must be \"http\"");
    return;
  }
  std::string rest = url.substr(scheme + 3);
  size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  std::string path = slash == std::string::npos ? "" : rest.substr(slash);
  if (path.find_first_of("?#") != std::string::npos || authority.find('@') != std::string::npos) {
    m.error("url", "invalid url '" + url + "': query, fragment and user info are not allowed");
    return;
  }
  std::string err;
  HostPort hp = parseHostPort(authority, err);
  if (err.empty()) err = checkHost(hp.host);
  if (!err.empty()) {
    m.error("url", "invalid url '" + url + "': " + err);
    return;
  }
  s.protocol = protocol;
  s.host = hp.host;
  s.port = hp.port.value_or(80);
  s.path = path;
}

} // namespace

void parseService(Builder& b, const YAML::Node& node, const std::string& path) {
  MapReader m(node, path, b.errors);
  if (!m.valid()) return;
  Service s;
  readId(m, s.id);
  if (m.string("name", s.name)) {
    std::string err = checkName(s.name);
    if (!err.empty()) m.error("name", err);
  }
  if (m.has("url")) {
    applyUrl(m, s);
  } else {
    if (m.string("protocol", s.protocol)) {
      if (s.protocol == "https") m.error("protocol", kHttpsUnsupported);
      else if (s.protocol != "http") m.error("protocol", "expected one of: \"http\"");
    }
    if (m.string("host", s.host, /*required=*/true)) {
      std::string err = checkHost(s.host);
      if (!err.empty()) m.error("host", err);
    }
    m.integer("port", s.port, 1, 65535);
    if (m.string("path", s.path) && (s.path.empty() || s.path[0] != '/'))
      m.error("path", "must start with \"/\"");
  }
  m.integer("retries", s.retries, 0, 32767);
  int64_t ms = 0;
  if (m.integer("connect_timeout", ms, 1, kMaxTimeout)) s.connectTimeout = Millis(ms);
  if (m.integer("write_timeout", ms, 1, kMaxTimeout)) s.writeTimeout = Millis(ms);
  if (m.integer("read_timeout", ms, 1, kMaxTimeout)) s.readTimeout = Millis(ms);
  m.boolean("enabled", s.enabled);
  readTags(m, s.tags);
  acceptTimestamps(m);
  for (const char* key : {"client_certificate", "tls_verify", "tls_verify_depth", "ca_certificates"})
    m.unsupported(key);

  b.config.services.push_back(s);
  b.serviceOrigins.push_back(Origin{path, node.Mark()});
  // Nested routes and plugins in file order (their order in Config follows the file).
  m.accept("routes");
  m.accept("plugins");
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (!it->first.IsScalar() || it->second.IsNull()) continue;
    const std::string& key = it->first.Scalar();
    if (key == "routes")
      forEach(b, it->second, m.fieldPath(key),
              [&](const YAML::Node& n, const std::string& p) { parseRoute(b, n, p, &s.id); });
    else if (key == "plugins")
      forEach(b, it->second, m.fieldPath(key), [&](const YAML::Node& n, const std::string& p) {
        parsePlugin(b, n, p, Parent{Parent::Kind::Service, s.id});
      });
  }
  m.finish();
}

namespace {

void readPaths(MapReader& m, Route& r, bool legacy) {
  if (!m.stringList("paths", r.paths)) return;
  YAML::Node n = m.get("paths");
  for (size_t i = 0; i < r.paths.size(); ++i) {
    if (legacy) r.paths[i] = migrateLegacyPath(r.paths[i]);
    std::string err = checkRoutePath(r.paths[i]);
    if (!err.empty()) m.errors().add(n[i].Mark(), indexPath(m.fieldPath("paths"), i), err);
  }
}

void readHeaders(MapReader& m, Route& r) {
  YAML::Node n = m.get("headers");
  if (!n) return;
  MapReader h(n, m.fieldPath("headers"), m.errors());
  if (!h.valid()) return;
  for (auto it = n.begin(); it != n.end(); ++it) {
    if (!it->first.IsScalar()) continue;  // reported by finish()
    std::string name = it->first.Scalar();
    h.accept(name);
    if (name == "_comment" || name == "_ignore") continue;
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name == "host") {
      h.error(it->first.Scalar(), "cannot contain 'host' header, which must be specified in the 'hosts' attribute");
      continue;
    }
    auto values = readStringList(it->second, h.fieldPath(it->first.Scalar()), m.errors());
    if (values && values->empty()) h.error(it->first.Scalar(), "must not be empty");
    else if (values) r.headers[name] = *values;
  }
  h.finish();
}

} // namespace

void parseRoute(Builder& b, const YAML::Node& node, const std::string& path, const std::string* serviceId) {
  MapReader m(node, path, b.errors);
  if (!m.valid()) return;
  Route r;
  readId(m, r.id);
  if (m.string("name", r.name)) {
    std::string err = checkName(r.name);
    if (!err.empty()) m.error("name", err);
  }
  std::optional<Ref> serviceRef;
  if (serviceId) {
    r.serviceId = *serviceId;
    if (m.has("service")) m.error("service", "must not be set on a route nested under a service");
  } else {
    serviceRef = readRef(m, "service");
  }
  if (m.stringList("protocols", r.protocols)) {
    for (size_t i = 0; i < r.protocols.size(); ++i)
      if (r.protocols[i] != "http" && r.protocols[i] != "https")
        b.errors.add(m.get("protocols")[i].Mark(), indexPath(m.fieldPath("protocols"), i),
                     "expected one of: \"http\", \"https\" (gantry routes HTTP only)");
    if (r.protocols.empty()) m.error("protocols", "must not be empty");
  }
  if (m.stringList("methods", r.methods)) {
    for (size_t i = 0; i < r.methods.size(); ++i) {
      std::string err = checkMethod(r.methods[i]);
      if (!err.empty()) b.errors.add(m.get("methods")[i].Mark(), indexPath(m.fieldPath("methods"), i), err);
    }
  }
  if (m.stringList("hosts", r.hosts)) {
    for (size_t i = 0; i < r.hosts.size(); ++i) {
      std::string err = checkRouteHost(r.hosts[i]);
      if (!err.empty()) b.errors.add(m.get("hosts")[i].Mark(), indexPath(m.fieldPath("hosts"), i), err);
    }
  }
  readPaths(m, r, b.legacyFormat);
  readHeaders(m, r);
  m.integer("regex_priority", r.regexPriority, INT32_MIN, INT32_MAX);
  m.boolean("strip_path", r.stripPath);
  m.boolean("preserve_host", r.preserveHost);
  m.oneOf("path_handling", r.pathHandling, {"v0", "v1"});
  if (m.integer("https_redirect_status_code", r.httpsRedirectStatusCode, 0, 999)) {
    int c = r.httpsRedirectStatusCode;
    if (c != 426 && c != 301 && c != 302 && c != 307 && c != 308)
      m.error("https_redirect_status_code", "expected one of: 426, 301, 302, 307, 308");
  }
  readTags(m, r.tags);
  acceptTimestamps(m);
  // Buffering is on in gantry's proxy model only as Kong's default; turning it off is not supported.
  for (const char* key : {"request_buffering", "response_buffering"}) {
    bool on = true;
    if (m.boolean(key, on) && !on) m.error(key, "is not supported by gantry (only true)");
  }
  for (const char* key : {"snis", "sources", "destinations", "expression", "priority"}) m.unsupported(key);

  bool matchesSomething = false;
  for (const char* key : {"methods", "hosts", "paths", "headers"}) {
    YAML::Node n = m.get(key);
    if (n && (n.IsScalar() || n.size() > 0)) matchesSomething = true;
  }
  if (!matchesSomething)
    b.errors.add(node.Mark(), path, "must set one of 'methods', 'hosts', 'headers', 'paths'");

  b.config.routes.push_back(r);
  b.routeOrigins.push_back(Origin{path, node.Mark()});
  b.routeServiceRefs.push_back(serviceRef);
  if (YAML::Node plugins = m.get("plugins"))
    forEach(b, plugins, m.fieldPath("plugins"), [&](const YAML::Node& n, const std::string& p) {
      parsePlugin(b, n, p, Parent{Parent::Kind::Route, r.id});
    });
  m.finish();
}

} // namespace gateway::config::detail
