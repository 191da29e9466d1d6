#include "plugin/config_index.h"

namespace gateway::plugin {
namespace {

template <typename M> auto find(const M& map, std::string_view key) ->
    typename M::mapped_type {
  auto it = map.find(std::string(key));
  return it == map.end() ? nullptr : it->second;
}

} // namespace

ConfigIndex::ConfigIndex(config::ConfigSharedPtr config) : config_(std::move(config)) {
  for (const auto& c : config_->consumers) {
    consumersById_.emplace(c.id, &c);
    if (!c.username.empty()) {
      consumersByUsername_.emplace(c.username, &c);
    }
  }
  for (const auto& r : config_->routes) {
    routesById_.emplace(r.id, &r);
  }
  for (const auto& s : config_->services) {
    servicesById_.emplace(s.id, &s);
  }
}

const config::Consumer* ConfigIndex::consumerById(std::string_view id) const {
  return find(consumersById_, id);
}
const config::Consumer* ConfigIndex::consumerByUsername(std::string_view username) const {
  return find(consumersByUsername_, username);
}
const config::Route* ConfigIndex::routeById(std::string_view id) const {
  return find(routesById_, id);
}
const config::Service* ConfigIndex::serviceById(std::string_view id) const {
  return find(servicesById_, id);
}

bool ConfigIndex::hasUpstream(std::string_view name) const {
  for (const auto& u : config_->upstreams) {
    if (u.name == name) {
      return true;
    }
  }
  return false;
}

ConfigIndex::CredentialHit ConfigIndex::findCredential(std::string_view kind,
                                                       std::string_view field,
                                                       std::string_view value) const {
  for (const auto& consumer : config_->consumers) {
    for (const auto& cred : consumer.credentials) {
      if (cred.type != kind || !cred.fields.is_object()) {
        continue;
      }
      auto it = cred.fields.find(std::string(field));
      if (it == cred.fields.end()) {
        continue;
      }
      bool match = false;
      if (it->is_string()) {
        match = it->get_ref<const std::string&>() == value;
      } else if (it->is_number()) {
        match = it->dump() == value;
      }
      if (match) {
        return {&cred, &consumer};
      }
    }
  }
  return {};
}

} // namespace gateway::plugin
