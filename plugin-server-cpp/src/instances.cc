#include "instances.h"

#include <mutex>

#include "call_state.h"

namespace gantry_pdk::detail {

InstanceTable::InstanceTable(std::vector<PluginDescriptor> plugins)
    : plugins_(std::move(plugins)) {}

const PluginDescriptor* InstanceTable::findPlugin(const std::string& name) const {
  for (const PluginDescriptor& d : plugins_) {
    if (d.name == name) {
      return &d;
    }
  }
  return nullptr;
}

std::vector<InstanceOutcome> InstanceTable::configure(const std::vector<InstanceSpec>& specs,
                                                      const std::vector<uint64_t>& closeIds) {
  std::vector<InstanceOutcome> out;
  for (const InstanceSpec& spec : specs) {
    InstanceOutcome outcome{spec.id, false, {}};
    if (auto existing = find(spec.id);
        existing && existing->descriptor->name == spec.pluginName &&
        existing->configJson == spec.configJson) {
      outcome.ok = true;  // Idempotent.
      out.push_back(outcome);
      continue;
    }
    const PluginDescriptor* descriptor = findPlugin(spec.pluginName);
    if (descriptor == nullptr) {
      outcome.error = "unknown plugin \"" + spec.pluginName + "\"";
      out.push_back(outcome);
      continue;
    }
    // Constructed outside the lock: a plugin constructor may be slow.
    std::unique_ptr<Plugin> plugin = descriptor->instantiate(spec.configJson, outcome.error);
    if (plugin) {
      auto instance = std::make_shared<Instance>();
      instance->id = spec.id;
      instance->descriptor = descriptor;
      instance->configJson = spec.configJson;
      instance->plugin = std::move(plugin);
      std::unique_lock lock(mutex_);
      instances_[spec.id] = std::move(instance);
      outcome.ok = true;
    }
    out.push_back(std::move(outcome));
  }
  std::unique_lock lock(mutex_);
  for (uint64_t id : closeIds) {
    instances_.erase(id);
  }
  return out;
}

std::shared_ptr<Instance> InstanceTable::find(uint64_t id) const {
  std::shared_lock lock(mutex_);
  auto it = instances_.find(id);
  return it == instances_.end() ? nullptr : it->second;
}

void InstanceTable::put(uint64_t id, size_t pluginIndex, std::shared_ptr<Plugin> plugin) {
  auto instance = std::make_shared<Instance>();
  instance->id = id;
  instance->descriptor = &plugins_.at(pluginIndex);
  instance->plugin = std::move(plugin);
  std::unique_lock lock(mutex_);
  instances_[id] = std::move(instance);
}

size_t InstanceTable::size() const {
  std::shared_lock lock(mutex_);
  return instances_.size();
}

namespace {

void invoke(Plugin& plugin, Phase phase, Pdk& pdk) {
  switch (phase) {
  case Phase::Rewrite: plugin.rewrite(pdk); break;
  case Phase::Access: plugin.access(pdk); break;
  case Phase::Response: plugin.response(pdk); break;
  case Phase::HeaderFilter: plugin.headerFilter(pdk); break;
  case Phase::Log: plugin.log(pdk); break;
  }
}

// Drops the mutations of a failed instance except its log lines (PROTOCOL.md 3.4).
void dropFailedMutations(std::vector<Mutation>& mutations, size_t from) {
  std::vector<Mutation> kept(std::make_move_iterator(mutations.begin()),
                             std::make_move_iterator(mutations.begin() + from));
  for (size_t i = from; i < mutations.size(); ++i) {
    if (std::holds_alternative<mutation::Log>(mutations[i].op)) {
      kept.push_back(std::move(mutations[i]));
    }
  }
  mutations = std::move(kept);
}

}  // namespace

PhaseOutput runPhase(const InstanceTable& table, const std::vector<uint64_t>& instanceIds,
                     PhaseInput&& input, Fetcher& fetcher) {
  PhaseOutput out;
  CallState state(input, fetcher, CallState::InPlace{});
  const Phase phase = state.input().phase;
  for (uint64_t id : instanceIds) {
    if (fetcher.cancelled()) {
      out.cancelled = true;
      return out;
    }
    std::shared_ptr<Instance> instance = table.find(id);
    if (!instance) {
      out.error = PhaseError{PhaseError::Kind::UnknownInstance, id,
                             "unknown instance " + std::to_string(id)};
      break;
    }
    const size_t before = state.mutations().size();
    state.beginInstance(id);
    std::string failure;
    try {
      Pdk pdk(state, id);
      invoke(*instance->plugin, phase, pdk);
    } catch (const Cancelled&) {
      out.cancelled = true;
      return out;
    } catch (const std::exception& e) {
      failure = e.what();
      if (failure.empty()) {
        failure = "exception";
      }
    } catch (...) {
      failure = "non-standard exception";
    }
    if (!failure.empty()) {
      dropFailedMutations(state.mutations(), before);
      out.error = PhaseError{PhaseError::Kind::Handler, id,
                             instance->descriptor->name + " " + phaseName(phase) + ": " + failure};
      break;
    }
    ++out.completed;
    if (state.exited()) {
      break;
    }
  }
  out.mutations = std::move(state.mutations());
  return out;
}

}  // namespace gantry_pdk::detail
