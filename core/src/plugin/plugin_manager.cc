// PluginManager: the process-wide plugin runtime on the main thread. Owns the servers'
// supervisors and shared state, the plugin catalog (from GetInfo), the instance registry and the
// live instance configs (re-sent after every reconnect), and the list of workers to tell when a
// server's generation changes. See runtime.h for the contract.

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <mutex>
#include <random>

#include <nlohmann/json.hpp>

#include "gateway/plugin/runtime.h"
#include "plugin/plan.h"
#include "plugin/server_supervisor.h"
#include "plugin/snapshot_builder.h"
#include "plugin/worker_plugins.h"

namespace gateway::plugin {
namespace {

uint32_t phaseMask(const google::protobuf::RepeatedField<int>& phases) {
  uint32_t mask = 0;
  for (int p : phases) {
    switch (p) {
    case v1::PHASE_REWRITE: mask |= phaseBit(Phase::Rewrite); break;
    case v1::PHASE_ACCESS: mask |= phaseBit(Phase::Access); break;
    case v1::PHASE_RESPONSE: mask |= phaseBit(Phase::Response); break;
    case v1::PHASE_HEADER_FILTER: mask |= phaseBit(Phase::HeaderFilter); break;
    case v1::PHASE_LOG: mask |= phaseBit(Phase::Log); break;
    default: break;
    }
  }
  return mask;
}

std::string randomNodeId() {
  std::random_device rd;
  std::mt19937_64 gen(rd());
  char buf[40];
  snprintf(buf, sizeof(buf), "%08x-%04x-4%03x-a%03x-%012llx",
           static_cast<unsigned>(gen()), static_cast<unsigned>(gen() & 0xffff),
           static_cast<unsigned>(gen() & 0xfff), static_cast<unsigned>(gen() & 0xfff),
           static_cast<unsigned long long>(gen() & 0xffffffffffffULL));
  return buf;
}

// Workers to notify; shared with WorkerPluginsImpl's unregister callbacks.
struct WorkerRegistry {
  struct Entry {
    event::Dispatcher* dispatcher;
    std::weak_ptr<WorkerContext> context;
  };
  std::mutex mu;
  uint64_t next{1};
  std::map<uint64_t, Entry> workers;
};

class PluginManagerImpl : public PluginManager, public RuntimeControl, public SupervisorHost {
public:
  PluginManagerImpl(event::Dispatcher& main, PluginManagerOptions options)
      : main_(main), options_(std::move(options)), log_(makeLogFn(options_.log)),
        poster_(std::make_shared<MainPoster>(main)), alive_(std::make_shared<bool>(true)),
        workers_(std::make_shared<WorkerRegistry>()) {
    if (options_.nodeId.empty()) {
      options_.nodeId = randomNodeId();
    }
    if (!options_.spawn) {
      options_.spawn = [](event::Dispatcher& d, const event::ProcessOptions& o,
                          event::ProcessCallbacks& cb) { return event::spawnProcess(d, o, cb); };
    }
    auto handle = std::make_shared<ControlHandle>();
    handle->poster = poster_;
    handle->alive = alive_;
    handle->control = this;
    control_ = handle;
  }

  ~PluginManagerImpl() override {
    *alive_ = false;
    poster_->detach();
    supervisors_.clear();  // SIGKILLs any managed server still running.
    if (!socketDir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(socketDir_, ec);
    }
  }

  // ---- PluginManager ----

  void start(config::ConfigSharedPtr config, PlanCallback done) override {
    std::vector<PlanError> errors;
    for (size_t i = 0; i < config->pluginServers.size(); ++i) {
      const auto& ps = config->pluginServers[i];
      const std::string path = "plugin_servers[" + std::to_string(i) + "]";
      if (ps.command.empty() == ps.address.empty()) {
        errors.push_back({path, "needs exactly one of command or address"});
      }
      for (size_t j = 0; j < i; ++j) {
        if (config->pluginServers[j].name == ps.name) {
          errors.push_back({path + ".name", "duplicate plugin server name \"" + ps.name + "\""});
        }
      }
    }
    if (!errors.empty()) {
      done(nullptr, std::move(errors));
      return;
    }
    if (std::any_of(config->pluginServers.begin(), config->pluginServers.end(),
                    [](const auto& ps) { return !ps.command.empty(); })) {
      std::string tmpl = (std::filesystem::temp_directory_path() / "gantry-plugins-XXXXXX");
      if (::mkdtemp(tmpl.data()) == nullptr) {
        done(nullptr, {{"", "cannot create a private directory for plugin sockets"}});
        return;
      }
      socketDir_ = tmpl;
    }
    for (size_t i = 0; i < config->pluginServers.size(); ++i) {
      auto shared = std::make_unique<ServerShared>();
      shared->index = i;
      shared->config = config->pluginServers[i];
      // A relative program path ("plugins/go-hello") is relative to the configuration file's
      // directory, so the file works from any working directory; a bare name is searched in PATH.
      auto& command = shared->config.command;
      if (!command.empty() && command[0].find('/') != std::string::npos &&
          command[0].front() != '/' && !config->sourcePath.empty()) {
        command[0] = (std::filesystem::path(config->sourcePath).parent_path() / command[0])
                         .lexically_normal()
                         .string();
      }
      servers_.push_back(std::move(shared));
    }
    for (auto& s : servers_) {
      SupervisorEnv env{main_, poster_, log_, options_.spawn, socketDir_, options_.shutdownGrace};
      supervisors_.push_back(std::make_unique<ServerSupervisor>(std::move(env), *s, *this));
    }
    auto pending = std::make_shared<size_t>(supervisors_.size());
    auto startErrors = std::make_shared<std::vector<PlanError>>();
    auto finish = [this, config, done, pending, startErrors]() {
      if (--*pending != 0) {
        return;
      }
      if (!startErrors->empty()) {
        done(nullptr, std::move(*startErrors));
        return;
      }
      std::vector<PlanError> catalogErrors = buildCatalog();
      if (!catalogErrors.empty()) {
        done(nullptr, std::move(catalogErrors));
        return;
      }
      buildPlan(config, done);
    };
    if (supervisors_.empty()) {
      ++*pending;
      finish();
      return;
    }
    for (size_t i = 0; i < supervisors_.size(); ++i) {
      supervisors_[i]->start([i, finish, startErrors, alive = alive_](Status s) {
        if (!*alive) {
          return;
        }
        if (!s) {
          startErrors->push_back({"plugin_servers[" + std::to_string(i) + "]", s.message()});
        }
        finish();
      });
    }
  }

  void buildPlan(config::ConfigSharedPtr config, PlanCallback done) override {
    auto built = buildPlanData(config, catalog_, registry_);
    if (!built.errors.empty()) {
      std::vector<PlanError> errors;
      for (auto& e : built.errors) {
        errors.push_back({std::move(e.path), std::move(e.message)});
      }
      done(nullptr, std::move(errors));
      return;
    }
    std::shared_ptr<PlanData> data = built.data;
    // Configure the new instances, grouped by server.
    std::map<size_t, v1::ConfigureRequest> requests;
    std::map<uint64_t, std::string> pathOf;
    for (uint64_t id : built.newInstanceIds) {
      const PlanInstance* inst = data->instanceById(id);
      const auto& entity = config->plugins[inst->entityIndex];
      pathOf[id] = entity.path.empty() ? "plugins[" + std::to_string(inst->entityIndex) + "]"
                                       : entity.path;
      fillInstance(*requests[inst->plugin->serverIndex].add_instances(), *inst, entity.name);
    }
    auto pending = std::make_shared<size_t>(requests.size() + 1);
    auto errors = std::make_shared<std::vector<PlanError>>();
    auto configured = std::make_shared<std::vector<std::pair<size_t, v1::InstanceConfig>>>();
    auto finish = [this, data, done, pending, errors, configured]() {
      if (--*pending != 0) {
        return;
      }
      if (!errors->empty()) {
        // Nothing of this plan survives: forget its ids, close what was configured.
        std::vector<uint64_t> ids;
        for (const auto& i : data->instances()) {
          ids.push_back(i.instanceId);
        }
        for (const auto& [server, inst] : *configured) {
          live_[inst.instance_id()] = {server, inst};
        }
        releaseInstances(ids);
        done(nullptr, std::move(*errors));
        return;
      }
      for (const auto& [server, inst] : *configured) {
        live_[inst.instance_id()] = {server, inst};
        bump(servers_[server]->counters.instances);
      }
      data->setReleaser([control = control_](std::vector<uint64_t> ids) {
        control->run([ids = std::move(ids)](RuntimeControl& c) {
          static_cast<PluginManagerImpl&>(c).releaseInstances(ids);
        });
      });
      done(std::make_shared<PluginPlanImpl>(data), {});
    };
    for (auto& [server, request] : requests) {
      const size_t s = server;
      auto req = std::make_shared<v1::ConfigureRequest>(request);
      supervisors_[s]->configure(
          *req, [this, s, req, pathOf, errors, configured, finish, alive = alive_](
                    Status status, v1::ConfigureResponse&& resp) {
            if (!*alive) {
              return;
            }
            if (!status) {
              errors->push_back({"plugin_servers[" + std::to_string(s) + "]",
                                 "Configure failed: " + status.message()});
            } else {
              for (int k = 0; k < req->instances_size(); ++k) {
                const auto& inst = req->instances(k);
                const v1::InstanceResult* r = k < resp.results_size() ? &resp.results(k) : nullptr;
                if (r == nullptr || !r->ok()) {
                  const std::string path = pathOf.at(inst.instance_id());
                  if (r == nullptr) {
                    errors->push_back({path + ".config", "no Configure result"});
                  } else {
                    PlanBuildError e = configureErrorAt(path, r->error());
                    errors->push_back({std::move(e.path), std::move(e.message)});
                  }
                } else {
                  configured->emplace_back(s, inst);
                }
              }
            }
            finish();
          });
    }
    finish();
  }

  std::unique_ptr<WorkerPlugins> createWorkerPlugins(event::Dispatcher& worker) override {
    std::vector<ServerShared*> servers;
    for (auto& s : servers_) {
      servers.push_back(s.get());
    }
    MutationLimits limits;
    limits.maxBodyBytes = options_.maxMutationBodyBytes;
    auto context = std::make_shared<WorkerContext>(worker, std::move(servers), counters_, control_,
                                                   log_, limits, options_.nodeId);
    uint64_t id;
    {
      std::lock_guard<std::mutex> lock(workers_->mu);
      id = workers_->next++;
      workers_->workers[id] = {&worker, context};
    }
    return std::make_unique<WorkerPluginsImpl>(context, [registry = workers_, id] {
      std::lock_guard<std::mutex> lock(registry->mu);
      registry->workers.erase(id);
    });
  }

  std::string countersJson() const override {
    nlohmann::json j;
    const uint64_t requests = read(counters_.requestsWithPlugins);
    j["requests_with_plugins"] = requests;
    j["phase_calls"] = read(counters_.phaseCalls);
    j["fetches"] = read(counters_.fetches);
    j["round_trips_per_request"] =
        requests == 0 ? 0.0
                      : static_cast<double>(read(counters_.phaseCalls) + read(counters_.fetches)) /
                            static_cast<double>(requests);
    j["timeouts"] = read(counters_.timeouts);
    j["failures"] = read(counters_.failures);
    j["rejected_mutations"] = read(counters_.rejectedMutations);
    uint64_t instances = 0;
    nlohmann::json servers = nlohmann::json::object();
    for (const auto& s : servers_) {
      const auto& c = s->counters;
      auto snap = s->snapshot();
      instances += read(c.instances);
      servers[s->config.name] = {
          {"ready", snap.ready},
          {"generation", snap.generation},
          {"restarts", read(c.restarts)},
          {"events_sent", read(c.eventsSent)},
          {"batches_sent", read(c.batchesSent)},
          {"batches_received", read(c.batchesReceived)},
          {"replies_received", read(c.repliesReceived)},
          {"phase_calls", read(c.phaseCalls)},
          {"fetches", read(c.fetches)},
          {"timeouts", read(c.timeouts)},
          {"failures", read(c.failures)},
          {"rejected_mutations", read(c.rejectedMutations)},
          {"instances", read(c.instances)}};
    }
    j["instances"] = instances;
    j["servers"] = servers;
    return j.dump();
  }

  void stop(std::function<void()> done) override {
    auto pending = std::make_shared<size_t>(supervisors_.size() + 1);
    auto one = [pending, done]() {
      if (--*pending == 0) {
        done();
      }
    };
    for (auto& s : supervisors_) {
      s->stop(one);
    }
    one();
  }

  // ---- RuntimeControl ----

  void onStreamBroken(size_t server, uint64_t generation) override {
    if (server < supervisors_.size()) {
      supervisors_[server]->onStreamBroken(generation);
    }
  }

  void reconfigure(size_t server, std::vector<uint64_t> ids,
                   std::function<void(bool)> done) override {
    v1::ConfigureRequest request;
    for (uint64_t id : ids) {
      auto it = live_.find(id);
      if (it != live_.end() && it->second.first == server) {
        *request.add_instances() = it->second.second;
      }
    }
    if (request.instances_size() == 0 || server >= supervisors_.size()) {
      done(false);
      return;
    }
    supervisors_[server]->configure(request, [done](Status s, v1::ConfigureResponse&& resp) {
      bool ok = s.isOk();
      for (const auto& r : resp.results()) {
        ok = ok && r.ok();
      }
      done(ok);
    });
  }

  // ---- SupervisorHost ----

  v1::ConfigureRequest liveInstances(size_t server) const override {
    v1::ConfigureRequest request;
    for (const auto& [id, entry] : live_) {
      if (entry.first == server) {
        *request.add_instances() = entry.second;
      }
    }
    return request;
  }

  void onServerChanged(size_t server) override {
    std::lock_guard<std::mutex> lock(workers_->mu);
    for (auto& [id, w] : workers_->workers) {
      w.dispatcher->post([weak = w.context, server] {
        if (auto c = weak.lock()) {
          c->onServerChanged(server);
        }
      });
    }
  }

  // Drops plan references; instances no plan holds any more are closed on their server.
  void releaseInstances(const std::vector<uint64_t>& ids) {
    std::map<size_t, v1::ConfigureRequest> closes;
    for (uint64_t id : registry_.release(ids)) {
      auto it = live_.find(id);
      if (it == live_.end()) {
        continue;
      }
      closes[it->second.first].add_close_instance_ids(id);
      auto& count = servers_[it->second.first]->counters.instances;
      if (read(count) > 0) {
        count.fetch_sub(1, std::memory_order_relaxed);
      }
      live_.erase(it);
    }
    for (auto& [server, request] : closes) {
      supervisors_[server]->configure(request, [](Status, v1::ConfigureResponse&&) {});
    }
  }

private:
  std::vector<PlanError> buildCatalog() {
    std::vector<PlanError> errors;
    auto catalog = std::make_shared<PluginCatalog>();
    for (size_t i = 0; i < supervisors_.size(); ++i) {
      for (const auto& p : supervisors_[i]->info().plugins()) {
        const std::string path = "plugin_servers[" + std::to_string(i) + "]";
        auto schema = ConfigSchema::parse(p.schema_json());
        if (!schema.isOk()) {
          errors.push_back({path, "plugin \"" + p.name() + "\": bad schema: " +
                                      schema.status().message()});
          continue;
        }
        PluginDescriptor d;
        d.name = p.name();
        d.version = p.version();
        d.priority = p.priority();
        d.serverIndex = i;
        d.serverName = servers_[i]->config.name;
        d.phases = phaseMask(p.phases());
        d.bodyPhases = phaseMask(p.body_phases());
        d.schema = std::move(schema.value());
        auto [it, inserted] = catalog->emplace(d.name, std::move(d));
        if (!inserted) {
          errors.push_back({path, "plugin \"" + p.name() + "\" is also provided by server \"" +
                                      it->second.serverName + "\""});
        }
      }
    }
    catalog_ = catalog;
    return errors;
  }

  static void fillInstance(v1::InstanceConfig& out, const PlanInstance& inst,
                           const std::string& name) {
    out.set_instance_id(inst.instanceId);
    out.set_plugin_name(name);
    out.set_config_json(inst.configJson);
    out.set_plugin_entity_id(inst.entityId);
    out.set_route_id(inst.routeId);
    out.set_service_id(inst.serviceId);
    out.set_consumer_id(inst.consumerId);
  }

  event::Dispatcher& main_;
  PluginManagerOptions options_;
  LogFn log_;
  MainPosterSharedPtr poster_;
  std::shared_ptr<bool> alive_;
  ControlHandleSharedPtr control_;
  std::shared_ptr<WorkerRegistry> workers_;
  std::string socketDir_;
  std::vector<std::unique_ptr<ServerShared>> servers_;
  std::vector<std::unique_ptr<ServerSupervisor>> supervisors_;
  std::shared_ptr<const PluginCatalog> catalog_ = std::make_shared<PluginCatalog>();
  InstanceRegistry registry_;
  std::map<uint64_t, std::pair<size_t, v1::InstanceConfig>> live_;  // id -> (server, config)
  RuntimeCounters counters_;
};

} // namespace

PluginManagerPtr createPluginManager(event::Dispatcher& main, PluginManagerOptions options) {
  return std::make_unique<PluginManagerImpl>(main, std::move(options));
}

} // namespace gateway::plugin
