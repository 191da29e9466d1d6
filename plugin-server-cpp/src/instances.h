#pragma once

// The plugin instances a server holds, by instance id (Configure creates, replaces and closes
// them). Thread-safe: Configure runs on a gRPC thread while workers look instances up.
// Instances are shared_ptr because a closed instance must stay alive until the calls already
// running on it finish.

#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "call_state.h"
#include "gantry_pdk/plugin.h"

namespace gantry_pdk::detail {

struct Instance {
  uint64_t id = 0;
  const PluginDescriptor* descriptor = nullptr;  // Owned by the InstanceTable's plugin list.
  std::string configJson;
  std::shared_ptr<Plugin> plugin;  // Shared with the test harness, which keeps instances.
};

struct InstanceSpec {
  uint64_t id = 0;
  std::string pluginName;
  std::string configJson;
};

struct InstanceOutcome {
  uint64_t id = 0;
  bool ok = false;
  std::string error;
};

class InstanceTable {
public:
  explicit InstanceTable(std::vector<PluginDescriptor> plugins);

  const std::vector<PluginDescriptor>& plugins() const { return plugins_; }
  const PluginDescriptor* findPlugin(const std::string& name) const;

  // Creates or replaces instances (same id and config: no-op), then closes `closeIds`.
  std::vector<InstanceOutcome> configure(const std::vector<InstanceSpec>& specs,
                                         const std::vector<uint64_t>& closeIds);
  std::shared_ptr<Instance> find(uint64_t id) const;
  // Adds an already created instance of plugins()[index] (the test harness).
  void put(uint64_t id, size_t pluginIndex, std::shared_ptr<Plugin> plugin);
  size_t size() const;

private:
  std::vector<PluginDescriptor> plugins_;  // Fixed after construction.
  mutable std::shared_mutex mutex_;
  std::unordered_map<uint64_t, std::shared_ptr<Instance>> instances_;
};

// Runs `instanceIds` in order for one phase call (PROTOCOL.md 3.4): each sees the mutations of
// those before; stops after an exit, a failure or a cancel. Never throws. Works on `input` in
// place (afterwards it holds the snapshot as the handlers left it; the server recycles it).
PhaseOutput runPhase(const InstanceTable& table, const std::vector<uint64_t>& instanceIds,
                     PhaseInput&& input, Fetcher& fetcher);

}  // namespace gantry_pdk::detail
