// Plugin entities: global, nested under a service/route/consumer, or top-level with refs.
// Their `config` is kept as JSON; the plugin runtime validates it against the plugin's schema.

#include <algorithm>

#include "config/builder.h"
#include "config/validators.h"

namespace gateway::config::detail {

namespace {

const std::vector<std::string> kProtocols = {"grpc", "grpcs", "http", "https", "tcp",
                                             "tls",  "udp",   "tls_passthrough", "ws", "wss"};

const char* kindName(Parent::Kind k) {
  switch (k) {
    case Parent::Kind::Service: return "service";
    case Parent::Kind::Route: return "route";
    case Parent::Kind::Consumer: return "consumer";
    case Parent::Kind::None: break;
  }
  return "";
}

} // namespace

void parsePlugin(Builder& b, const YAML::Node& node, const std::string& path, const Parent& parent) {
  MapReader m(node, path, b.errors);
  if (!m.valid()) return;
  PluginEntity p;
  p.path = path;
  readId(m, p.id);
  m.string("name", p.name, /*required=*/true);
  if (m.string("instance_name", p.instanceName)) {
    std::string err = checkName(p.instanceName);
    if (!err.empty()) m.error("instance_name", err);
  }
  if (YAML::Node config = m.get("config")) {
    if (!config.IsMap()) {
      m.error("config", "expected an object, got " + describe(config));
    } else if (auto json = readJson(config, m.fieldPath("config"), b.errors)) {
      p.config = std::move(*json);
    }
  }
  m.boolean("enabled", p.enabled);
  if (m.stringList("protocols", p.protocols)) {
    for (size_t i = 0; i < p.protocols.size(); ++i)
      if (std::find(kProtocols.begin(), kProtocols.end(), p.protocols[i]) == kProtocols.end())
        b.errors.add(m.get("protocols")[i].Mark(), indexPath(m.fieldPath("protocols"), i),
                     "unknown protocol '" + p.protocols[i] + "'");
    if (p.protocols.empty()) m.error("protocols", "must not be empty");
  }
  readTags(m, p.tags);
  acceptTimestamps(m);
  int64_t timeout = 0;
  if (m.integer("timeout", timeout, 1, 2147483647)) p.timeout = Millis(timeout);
  bool failOpen = false;
  if (m.boolean("fail_open", failOpen)) p.failOpen = failOpen;
  m.unsupported("ordering");

  PluginRefs refs;
  if (parent.kind == Parent::Kind::None) {
    refs.service = readRef(m, "service");
    refs.route = readRef(m, "route");
    refs.consumer = readRef(m, "consumer");
  } else {
    for (const char* key : {"service", "route", "consumer"})
      if (m.has(key))
        m.error(key, std::string("not allowed on a plugin nested under a ") + kindName(parent.kind) +
                         " (a plugin with two or more foreign keys must be declared in the top-level "
                         "plugins list)");
    if (parent.kind == Parent::Kind::Service) p.serviceId = parent.id;
    if (parent.kind == Parent::Kind::Route) p.routeId = parent.id;
    if (parent.kind == Parent::Kind::Consumer) p.consumerId = parent.id;
  }
  m.finish();
  b.config.plugins.push_back(std::move(p));
  b.pluginOrigins.push_back(Origin{path, node.Mark()});
  b.pluginRefs.push_back(std::move(refs));
}

} // namespace gateway::config::detail
