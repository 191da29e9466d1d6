// Second pass: references by id/name become ids, ids and names are checked for uniqueness per
// kind, and routes get their final order.

#include <map>
#include <memory>
#include <tuple>

#include "config/builder.h"

namespace gateway::config::detail {

namespace {

// Ids and names of one kind of entity, for lookups and duplicate checks.
class Index {
public:
  explicit Index(std::string kind, ErrorList& errors) : kind_(std::move(kind)), errors_(errors) {}

  void addId(const std::string& id, const Origin& at) { add(ids_, id, at, "id"); }
  void addName(const std::string& name, const Origin& at, const std::string& field = "name") {
    if (!name.empty()) add(names_, name, at, field);
  }
  // The id for a reference, or empty (reported) when nothing matches.
  std::string resolve(const Ref& ref) const {
    if (ref.by != Ref::By::Name) {
      auto it = ids_.find(ref.value);
      if (it != ids_.end()) return it->second;
    }
    if (ref.by != Ref::By::Id) {
      auto it = names_.find(ref.value);
      if (it != names_.end()) return it->second;
    }
    errors_.add(ref.origin.mark, ref.origin.path, "references unknown " + kind_ + " '" + ref.value + "'");
    return "";
  }
  // Ids are stored as the value for both maps; addName needs the id too.
  void setCurrentId(const std::string& id) { currentId_ = id; }

private:
  void add(std::map<std::string, std::string>& map, const std::string& key, const Origin& at,
           const std::string& field) {
    if (!map.emplace(key, currentId_).second)
      errors_.add(at.mark, at.path + "." + field, "duplicate " + kind_ + " " + field + " '" + key + "'");
  }

  std::string kind_;
  ErrorList& errors_;
  std::map<std::string, std::string> ids_, names_;
  std::string currentId_;
};

} // namespace

void resolve(Builder& b) {
  Config& c = b.config;
  ErrorList& e = b.errors;

  Index services("service", e), routes("route", e), upstreams("upstream", e), consumers("consumer", e);
  Index customIds("consumer", e), plugins("plugin", e);
  for (size_t i = 0; i < c.services.size(); ++i) {
    services.setCurrentId(c.services[i].id);
    services.addId(c.services[i].id, b.serviceOrigins[i]);
    services.addName(c.services[i].name, b.serviceOrigins[i]);
  }
  for (size_t i = 0; i < c.routes.size(); ++i) {
    routes.setCurrentId(c.routes[i].id);
    routes.addId(c.routes[i].id, b.routeOrigins[i]);
    routes.addName(c.routes[i].name, b.routeOrigins[i]);
    if (b.routeServiceRefs[i]) c.routes[i].serviceId = services.resolve(*b.routeServiceRefs[i]);
    c.routes[i].order = i;
  }
  for (size_t i = 0; i < c.upstreams.size(); ++i) {
    upstreams.setCurrentId(c.upstreams[i].id);
    upstreams.addId(c.upstreams[i].id, b.upstreamOrigins[i]);
    upstreams.addName(c.upstreams[i].name, b.upstreamOrigins[i]);
  }
  for (size_t i = 0; i < c.consumers.size(); ++i) {
    consumers.setCurrentId(c.consumers[i].id);
    consumers.addId(c.consumers[i].id, b.consumerOrigins[i]);
    consumers.addName(c.consumers[i].username, b.consumerOrigins[i], "username");
    customIds.setCurrentId(c.consumers[i].id);
    customIds.addName(c.consumers[i].customId, b.consumerOrigins[i], "custom_id");
  }

  // Top-level targets and credentials join their parents, in file order after the nested ones.
  for (auto& t : b.topLevelTargets) {
    std::string id = upstreams.resolve(t.upstream);
    for (size_t i = 0; i < c.upstreams.size(); ++i)
      if (!id.empty() && c.upstreams[i].id == id) {
        c.upstreams[i].targets.push_back(t.target);
        b.targetOrigins[i].push_back(t.origin);
      }
  }
  for (auto& p : b.topLevelCredentials) {
    std::string id = consumers.resolve(p.consumer);
    for (size_t i = 0; i < c.consumers.size(); ++i)
      if (!id.empty() && c.consumers[i].id == id) {
        c.consumers[i].credentials.push_back(p.credential);
        b.credentialOrigins[i].push_back(p.origin);
      }
  }

  // Target ids are unique overall, target addresses per upstream (Kong's unique (upstream, target)).
  Index targetIds("target", e);
  for (size_t u = 0; u < c.upstreams.size(); ++u) {
    Index addresses("target", e);
    for (size_t i = 0; i < c.upstreams[u].targets.size(); ++i) {
      const Target& t = c.upstreams[u].targets[i];
      targetIds.addId(t.id, b.targetOrigins[u][i]);
      addresses.addName(t.host + ":" + std::to_string(t.port), b.targetOrigins[u][i], "target");
    }
  }
  // Credential ids are unique per type; so are the fields Kong declares unique.
  std::map<std::string, std::unique_ptr<Index>> credentialIndexes;
  auto indexFor = [&](const std::string& key) -> Index& {
    auto& slot = credentialIndexes[key];
    if (!slot) slot = std::make_unique<Index>(key, e);
    return *slot;
  };
  static const std::map<std::string, std::string> kUniqueField = {
      {"keyauth_credentials", "key"}, {"basicauth_credentials", "username"},
      {"hmacauth_credentials", "username"}, {"jwt_secrets", "key"}};
  for (size_t u = 0; u < c.consumers.size(); ++u) {
    for (size_t i = 0; i < c.consumers[u].credentials.size(); ++i) {
      const Credential& cred = c.consumers[u].credentials[i];
      const Origin& at = b.credentialOrigins[u][i];
      indexFor(cred.type).addId(cred.id, at);
      auto uf = kUniqueField.find(cred.type);
      if (uf != kUniqueField.end() && cred.fields.contains(uf->second) && cred.fields[uf->second].is_string())
        indexFor(cred.type).addName(cred.fields[uf->second].get<std::string>(), at, uf->second);
    }
  }

  // Plugins: resolve refs, then at most one plugin of a name per (route, service, consumer).
  std::map<std::tuple<std::string, std::string, std::string, std::string>, size_t> scopes;
  for (size_t i = 0; i < c.plugins.size(); ++i) {
    PluginEntity& p = c.plugins[i];
    const PluginRefs& refs = b.pluginRefs[i];
    bool unresolved = false;
    if (refs.service) unresolved |= (p.serviceId = services.resolve(*refs.service)).empty();
    if (refs.route) unresolved |= (p.routeId = routes.resolve(*refs.route)).empty();
    if (refs.consumer) unresolved |= (p.consumerId = consumers.resolve(*refs.consumer)).empty();
    plugins.setCurrentId(p.id);
    plugins.addId(p.id, b.pluginOrigins[i]);
    plugins.addName(p.instanceName, b.pluginOrigins[i], "instance_name");
    if (unresolved || p.name.empty()) continue;
    auto key = std::make_tuple(p.name, p.routeId, p.serviceId, p.consumerId);
    auto [it, inserted] = scopes.emplace(key, i);
    if (!inserted)
      e.add(b.pluginOrigins[i].mark, b.pluginOrigins[i].path,
            "duplicate plugin '" + p.name + "' for the same route/service/consumer as " +
                c.plugins[it->second].path);
  }
}

} // namespace gateway::config::detail
