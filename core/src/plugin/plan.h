#pragma once

// A PluginPlan: the plugin entities of one Config resolved against the plugins the servers
// provide (Kong's plugins iterator). Built on the main thread by buildPlanData(), then immutable
// and shared by every worker (and kept alive by every request started on it).
//
// Resolution follows kong-model §5.2/§5.3: for each plugin name at most one config applies to a
// request, the most specific scope winning (route+service+consumer > route+consumer >
// service+consumer > route+service > consumer > route > service > global); disabled entities and
// entities whose protocols exclude the request's scheme never take part; plugins run by priority
// descending, ties broken by name in reverse order.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gateway/config/model.h"
#include "gateway/plugin/runtime.h"
#include "plugin/config_index.h"
#include "plugin/schema_validator.h"

namespace gateway::plugin {

// Bit for a phase in PluginDescriptor masks.
constexpr uint32_t phaseBit(Phase p) { return 1u << static_cast<unsigned>(p); }

// A plugin as described by its server's GetInfo.
struct PluginDescriptor {
  std::string name;
  std::string version;
  int32_t priority{0};
  size_t serverIndex{0};     // Index into Config::pluginServers / the manager's servers.
  std::string serverName;
  uint32_t phases{0};        // phaseBit() mask.
  uint32_t bodyPhases{0};
  ConfigSchema schema;
  bool implements(Phase p) const { return (phases & phaseBit(p)) != 0; }
  bool needsBody(Phase p) const { return (bodyPhases & phaseBit(p)) != 0; }
};

// Every plugin every server provides, by name (names are unique across servers).
using PluginCatalog = std::map<std::string, PluginDescriptor, std::less<>>;

// One configured plugin instance of a plan.
struct PlanInstance {
  uint64_t instanceId{0};
  const PluginDescriptor* plugin{nullptr};  // Owned by PlanData::catalog.
  size_t entityIndex{0};                    // Index in Config::plugins.
  std::string entityId;
  std::string routeId, serviceId, consumerId;
  std::string configJson;                   // Normalized (defaults filled).
  std::chrono::milliseconds timeout{5000};
  bool failOpen{false};
  bool http{true}, https{true};             // Entity protocols.
};

// Assigns instance ids, stable per (entity id, scope, normalized config) for as long as some
// plan holds them; counts plan references. Main thread only.
class InstanceRegistry {
public:
  struct Acquired {
    uint64_t id{0};
    bool isNew{false};  // First plan to hold it: must be Configured before use.
  };
  Acquired acquire(const std::string& key);
  // Drops one plan reference to each id; returns the ids no plan holds any more.
  std::vector<uint64_t> release(const std::vector<uint64_t>& ids);
  // Undoes acquire() of a plan that was never used (its new ids are forgotten).
  void abandon(const std::vector<uint64_t>& ids) { release(ids); }
  size_t size() const { return byId_.size(); }

private:
  struct Entry {
    std::string key;
    size_t refs{0};
  };
  uint64_t next_{1};
  std::unordered_map<std::string, uint64_t> byKey_;
  std::unordered_map<uint64_t, Entry> byId_;
};

class PlanData {
public:
  // All configs of one plugin name, keyed by scope.
  struct Slot {
    const PluginDescriptor* plugin{nullptr};
    std::unordered_map<std::string, size_t> combos;  // scopeKey() -> index in instances.
    bool hasConsumerScoped{false};
  };

  PlanData(config::ConfigSharedPtr config, std::shared_ptr<const PluginCatalog> catalog);
  ~PlanData();

  // The instance of `slot` for this scope (empty id = unknown on that dimension), or null.
  const PlanInstance* resolve(const Slot& slot, std::string_view routeId,
                              std::string_view serviceId, std::string_view consumerId,
                              std::string_view scheme) const;
  // True when some config of `slot` could apply to a request on this route/service, whatever
  // consumer authenticates later.
  const PlanInstance* anyCandidate(const Slot& slot, std::string_view routeId,
                                   std::string_view serviceId, std::string_view scheme) const;

  const std::vector<Slot>& slots() const { return slots_; }  // Priority order.
  const std::vector<PlanInstance>& instances() const { return instances_; }
  const PlanInstance* instanceById(uint64_t id) const;
  const ConfigIndex& index() const { return index_; }
  // Called from ~PlanData with every instance id of the plan (any thread).
  void setReleaser(std::function<void(std::vector<uint64_t>)> releaser) {
    releaser_ = std::move(releaser);
  }

  static std::string scopeKey(std::string_view r, std::string_view s, std::string_view c);

private:
  friend struct PlanBuilder;
  ConfigIndex index_;
  std::shared_ptr<const PluginCatalog> catalog_;
  std::vector<PlanInstance> instances_;
  std::vector<Slot> slots_;
  std::unordered_map<uint64_t, size_t> byInstanceId_;
  std::function<void(std::vector<uint64_t>)> releaser_;
};
using PlanDataSharedPtr = std::shared_ptr<const PlanData>;

// The PluginPlan the proxy holds.
class PluginPlanImpl : public PluginPlan {
public:
  explicit PluginPlanImpl(PlanDataSharedPtr data) : data_(std::move(data)) {}
  bool empty() const override { return data_->instances().empty(); }
  const PlanDataSharedPtr& data() const { return data_; }

private:
  PlanDataSharedPtr data_;
};

// The scope of a request at some point of its life (empty = unknown on that dimension).
struct ScopeIds {
  std::string_view route;
  std::string_view service;
  std::string_view consumer;
  std::string_view scheme{"http"};
};

using InstanceList = std::vector<const PlanInstance*>;

// Every slot resolved for `scope`, in priority order (the list for non-collecting phases).
InstanceList resolveAll(const PlanData& plan, const ScopeIds& scope);

// The access phase is Kong's collecting phase: plugins are resolved one by one, in priority
// order, when their turn comes, so that a consumer authenticated by an earlier plugin selects
// consumer-scoped configs of the later ones. Returns the next run of instances implementing
// `phase` to send in one PhaseCall: consecutive, same server, and, while no consumer is known,
// ending before the next plugin that has consumer-scoped configs (its config is resolved only
// after this call's mutations, which may authenticate, were applied). Advances `cursor` over
// the slots it resolved and appends every resolved instance (implementing `phase` or not) to
// `collected`, the list reused for response/header_filter/log. Empty when the walk is over.
InstanceList nextCollectingSegment(const PlanData& plan, const ScopeIds& scope, Phase phase,
                                   size_t& cursor, InstanceList& collected);

// Splits `list` (filtered to `phase`) into runs of consecutive instances of one server.
std::vector<InstanceList> segmentsByServer(const InstanceList& list, Phase phase);

struct PlanBuildError {
  std::string path;
  std::string message;
};

// Places a plugin server's Configure error (InstanceResult.error) at the plugin entity
// `entityPath` (e.g. "plugins[2]"). SDKs word them differently: the Go SDK names the place from
// the config root ("config.limits.max: expected ...", "config: invalid JSON ..."), the C++ SDK
// relative to it ("message: expected a string"). Both become
// {"plugins[2].config.limits.max", "expected ..."} / {"plugins[2].config.message", ...}; a
// message without a field path ("invalid JSON ...") is placed at "plugins[2].config".
PlanBuildError configureErrorAt(const std::string& entityPath, const std::string& message);

struct PlanBuildResult {
  std::shared_ptr<PlanData> data;        // Null when errors is non-empty.
  std::vector<PlanBuildError> errors;
  std::vector<uint64_t> newInstanceIds;  // Need Configure before the plan is used.
};

// Resolves and validates config.plugins against `catalog`: every name must be provided by a
// server (`plugins[2].name: no plugin server provides plugin "x"`), every config must match the
// schema (`plugins[2].config.message: expected a string`). Acquires instance ids from
// `registry` (released again on error). `defaults` gives each server's phase timeout/failOpen.
PlanBuildResult buildPlanData(config::ConfigSharedPtr config,
                              std::shared_ptr<const PluginCatalog> catalog,
                              InstanceRegistry& registry);

} // namespace gateway::plugin
