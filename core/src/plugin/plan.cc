#include "plugin/plan.h"

#include <algorithm>
#include <cctype>

namespace gateway::plugin {

const char* phaseName(Phase phase) {
  switch (phase) {
  case Phase::Rewrite: return "rewrite";
  case Phase::Access: return "access";
  case Phase::Response: return "response";
  case Phase::HeaderFilter: return "header_filter";
  case Phase::Log: return "log";
  }
  return "unknown";
}

InstanceRegistry::Acquired InstanceRegistry::acquire(const std::string& key) {
  auto it = byKey_.find(key);
  if (it != byKey_.end()) {
    auto& e = byId_[it->second];
    ++e.refs;
    return {it->second, false};
  }
  const uint64_t id = next_++;
  byKey_.emplace(key, id);
  byId_.emplace(id, Entry{key, 1});
  return {id, true};
}

std::vector<uint64_t> InstanceRegistry::release(const std::vector<uint64_t>& ids) {
  std::vector<uint64_t> dropped;
  for (uint64_t id : ids) {
    auto it = byId_.find(id);
    if (it == byId_.end()) {
      continue;
    }
    if (--it->second.refs == 0) {
      byKey_.erase(it->second.key);
      byId_.erase(it);
      dropped.push_back(id);
    }
  }
  return dropped;
}

PlanData::PlanData(config::ConfigSharedPtr config, std::shared_ptr<const PluginCatalog> catalog)
    : index_(std::move(config)), catalog_(std::move(catalog)) {}

PlanData::~PlanData() {
  if (releaser_) {
    std::vector<uint64_t> ids;
    ids.reserve(instances_.size());
    for (const auto& i : instances_) {
      ids.push_back(i.instanceId);
    }
    releaser_(std::move(ids));
  }
}

std::string PlanData::scopeKey(std::string_view r, std::string_view s, std::string_view c) {
  std::string k;
  k.reserve(r.size() + s.size() + c.size() + 2);
  k.append(r).push_back(':');
  k.append(s).push_back(':');
  k.append(c);
  return k;
}

namespace {

bool schemeOk(const PlanInstance& i, std::string_view scheme) {
  return scheme == "https" ? i.https : i.http;
}

} // namespace

const PlanInstance* PlanData::resolve(const Slot& slot, std::string_view r, std::string_view s,
                                      std::string_view c, std::string_view scheme) const {
  // Kong's lookup_cfg order. An empty id means "not known", so combos needing it are skipped.
  struct Combo {
    bool route, service, consumer;
  };
  static constexpr Combo kOrder[] = {
      {true, true, true},  {true, false, true},  {false, true, true},  {true, true, false},
      {false, false, true}, {true, false, false}, {false, true, false}, {false, false, false}};
  for (const auto& combo : kOrder) {
    if ((combo.route && r.empty()) || (combo.service && s.empty()) ||
        (combo.consumer && c.empty())) {
      continue;
    }
    auto it = slot.combos.find(scopeKey(combo.route ? r : "", combo.service ? s : "",
                                        combo.consumer ? c : ""));
    if (it != slot.combos.end() && schemeOk(instances_[it->second], scheme)) {
      return &instances_[it->second];
    }
  }
  return nullptr;
}

const PlanInstance* PlanData::anyCandidate(const Slot& slot, std::string_view r,
                                           std::string_view s, std::string_view scheme) const {
  for (const auto& [key, idx] : slot.combos) {
    const auto& i = instances_[idx];
    if ((i.routeId.empty() || i.routeId == r) && (i.serviceId.empty() || i.serviceId == s) &&
        schemeOk(i, scheme)) {
      return &i;
    }
  }
  return nullptr;
}

const PlanInstance* PlanData::instanceById(uint64_t id) const {
  auto it = byInstanceId_.find(id);
  return it == byInstanceId_.end() ? nullptr : &instances_[it->second];
}

struct PlanBuilder {
  static PlanBuildResult build(config::ConfigSharedPtr config,
                               std::shared_ptr<const PluginCatalog> catalog,
                               InstanceRegistry& registry) {
    PlanBuildResult result;
    auto data = std::make_shared<PlanData>(config, catalog);
    std::vector<uint64_t> acquired;
    std::map<std::string, size_t> slotByName;
    std::map<std::string, std::string> scopeOwner;  // name+scope -> path, for duplicates.

    for (size_t i = 0; i < config->plugins.size(); ++i) {
      const config::PluginEntity& e = config->plugins[i];
      const std::string path =
          e.path.empty() ? "plugins[" + std::to_string(i) + "]" : e.path;
      auto it = catalog->find(e.name);
      if (it == catalog->end()) {
        result.errors.push_back(
            {path + ".name", "no plugin server provides plugin \"" + e.name + "\""});
        continue;
      }
      const PluginDescriptor& desc = it->second;
      std::vector<SchemaError> schemaErrors;
      nlohmann::json normalized = desc.schema.validate(e.config, path + ".config", schemaErrors);
      for (auto& se : schemaErrors) {
        result.errors.push_back({std::move(se.path), std::move(se.message)});
      }
      if (!schemaErrors.empty() || !e.enabled) {
        continue;
      }
      const std::string scope = PlanData::scopeKey(e.routeId, e.serviceId, e.consumerId);
      auto [dup, inserted] = scopeOwner.emplace(e.name + "|" + scope, path);
      if (!inserted) {
        result.errors.push_back({path, "plugin \"" + e.name +
                                           "\" is already configured for this scope at " +
                                           dup->second});
        continue;
      }
      PlanInstance inst;
      inst.plugin = &desc;
      inst.entityIndex = i;
      inst.entityId = e.id;
      inst.routeId = e.routeId;
      inst.serviceId = e.serviceId;
      inst.consumerId = e.consumerId;
      inst.configJson = normalized.dump();
      const config::PluginServer* server = nullptr;
      for (const auto& ps : config->pluginServers) {
        if (ps.name == desc.serverName) {
          server = &ps;
        }
      }
      inst.timeout = e.timeout.value_or(server ? server->phaseTimeout
                                               : std::chrono::milliseconds(5000));
      inst.failOpen = e.failOpen.value_or(server ? server->failOpen : false);
      inst.http = e.protocols.empty() ||
                  std::find(e.protocols.begin(), e.protocols.end(), "http") != e.protocols.end();
      inst.https = e.protocols.empty() ||
                   std::find(e.protocols.begin(), e.protocols.end(), "https") != e.protocols.end();
      auto got = registry.acquire(e.id + '\n' + e.name + '\n' + scope + '\n' + inst.configJson);
      inst.instanceId = got.id;
      acquired.push_back(got.id);
      if (got.isNew) {
        result.newInstanceIds.push_back(got.id);
      }
      const size_t idx = data->instances_.size();
      data->byInstanceId_.emplace(inst.instanceId, idx);
      data->instances_.push_back(std::move(inst));
      auto [slotIt, created] = slotByName.emplace(e.name, data->slots_.size());
      if (created) {
        data->slots_.push_back(PlanData::Slot{&desc, {}, false});
      }
      auto& slot = data->slots_[slotIt->second];
      slot.combos.emplace(scope, idx);
      slot.hasConsumerScoped = slot.hasConsumerScoped || !e.consumerId.empty();
    }
    if (!result.errors.empty()) {
      registry.abandon(acquired);
      result.newInstanceIds.clear();
      return result;
    }
    std::sort(data->slots_.begin(), data->slots_.end(), [](const auto& a, const auto& b) {
      if (a.plugin->priority != b.plugin->priority) {
        return a.plugin->priority > b.plugin->priority;
      }
      return a.plugin->name > b.plugin->name;
    });
    result.data = std::move(data);
    return result;
  }
};

InstanceList resolveAll(const PlanData& plan, const ScopeIds& scope) {
  InstanceList out;
  for (const auto& slot : plan.slots()) {
    if (const auto* i =
            plan.resolve(slot, scope.route, scope.service, scope.consumer, scope.scheme)) {
      out.push_back(i);
    }
  }
  return out;
}

InstanceList nextCollectingSegment(const PlanData& plan, const ScopeIds& scope, Phase phase,
                                   size_t& cursor, InstanceList& collected) {
  InstanceList segment;
  const auto& slots = plan.slots();
  while (cursor < slots.size()) {
    const auto& slot = slots[cursor];
    if (!segment.empty() && scope.consumer.empty() && slot.hasConsumerScoped) {
      break;
    }
    const PlanInstance* inst =
        plan.resolve(slot, scope.route, scope.service, scope.consumer, scope.scheme);
    if (inst != nullptr && inst->plugin->implements(phase)) {
      if (!segment.empty() && segment.front()->plugin->serverIndex != inst->plugin->serverIndex) {
        break;
      }
      segment.push_back(inst);
    }
    if (inst != nullptr) {
      collected.push_back(inst);
    }
    ++cursor;
  }
  return segment;
}

std::vector<InstanceList> segmentsByServer(const InstanceList& list, Phase phase) {
  std::vector<InstanceList> out;
  for (const auto* i : list) {
    if (!i->plugin->implements(phase)) {
      continue;
    }
    if (out.empty() || out.back().front()->plugin->serverIndex != i->plugin->serverIndex) {
      out.emplace_back();
    }
    out.back().push_back(i);
  }
  return out;
}

PlanBuildError configureErrorAt(const std::string& entityPath, const std::string& message) {
  const std::string config = entityPath + ".config";
  const size_t colon = message.find(": ");
  const bool rooted = message.rfind("config", 0) == 0 &&
                      (message.size() == 6 || message[6] == '.' || message[6] == ':');
  if (rooted) {
    if (message.size() == 6) {
      return {config, "rejected by the plugin server"};
    }
    if (message[6] == ':') {  // "config: why" or "config:why"
      const size_t start = message.find_first_not_of(' ', 7);
      return {config, start == std::string::npos ? message : message.substr(start)};
    }
    if (colon == std::string::npos) {
      return {config, message.substr(7)};
    }
    return {entityPath + "." + message.substr(0, colon), message.substr(colon + 2)};
  }
  if (colon != std::string::npos && colon > 0) {
    const std::string head = message.substr(0, colon);
    const bool fieldPath = std::all_of(head.begin(), head.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' ||
             c == '[' || c == ']';
    });
    if (fieldPath) {
      return {config + "." + head, message.substr(colon + 2)};
    }
  }
  return {config, message};
}

PlanBuildResult buildPlanData(config::ConfigSharedPtr config,
                              std::shared_ptr<const PluginCatalog> catalog,
                              InstanceRegistry& registry) {
  return PlanBuilder::build(std::move(config), std::move(catalog), registry);
}

} // namespace gateway::plugin
