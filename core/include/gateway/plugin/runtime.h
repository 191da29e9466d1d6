#pragma once

// The seam between the proxy's per-request phase machine (core/src/proxy/) and the plugin runtime
// (core/src/plugin/, which talks gRPC to plugin servers). The proxy only sees these interfaces;
// a request with no plugin pays nothing (startRequest returns null).
//
// Threading: a PluginPlan is immutable and shared by all workers; WorkerPlugins and
// RequestPlugins live on one worker thread, and every callback they invoke runs on that thread.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/common/status.h"
#include "gateway/config/model.h"
#include "gateway/event/dispatcher.h"
#include "gateway/event/process.h"
#include "gateway/proxy/request_state.h"

namespace gateway::plugin {

// Request phases, in the order a request goes through them.
enum class Phase {
  Rewrite,       // Global plugins only, before routing.
  Access,        // After routing; the collecting phase (consumer-scoped configs resolved here).
  Response,      // Whole upstream response buffered (Kong's `response`); may change status,
                 // headers, body.
  HeaderFilter,  // Streaming extension: response head only, before it is sent; no buffering.
  Log,           // After the response is sent; never delays the client.
};
const char* phaseName(Phase phase);

// How a phase ended.
struct PhaseOutcome {
  enum class Kind {
    Continue,  // Go on; mutations were applied to the RequestState.
    Exit,      // A plugin called exit: RequestState::exit is set; send it and skip later
               // rewrite/access plugins (response and log phases still run, as in Kong).
    Fail,      // A plugin failed by policy (fail closed): answer `status` (500, or 504 on
               // timeout) with a JSON {"message": ...}.
  };
  Kind kind{Kind::Continue};
  int status{0};
  std::string message;
};
using PhaseDoneCallback = std::function<void(PhaseOutcome)>;

// What the proxy offers plugins beyond the snapshot: data fetched lazily.
class RequestDataSource {
public:
  virtual ~RequestDataSource() = default;
  // Reads the whole client request body (bounded by the body size limit) and calls `cb` on the
  // worker thread; the view is valid until the request ends. Called at most once per request.
  virtual void readRequestBody(std::function<void(StatusOr<std::string_view>)> cb) = 0;
};

// The plugins of one request. Destroying it cancels anything in flight: no callback runs after.
class RequestPlugins {
public:
  virtual ~RequestPlugins() = default;
  // False when no plugin of this request implements the phase: the phase never travels.
  // For Access/Response/HeaderFilter/Log the answer is final only after routing.
  virtual bool wants(Phase phase) const = 0;
  // True when some plugin needs the request body before `phase` (the proxy buffers it first
  // and stores it in RequestState::requestBody).
  virtual bool needsRequestBody(Phase phase) const = 0;
  // Runs the phase asynchronously; `done` runs on the worker thread, exactly once, unless this
  // object is destroyed first. `state` must stay valid until then.
  virtual void runPhase(Phase phase, proxy::RequestState& state, PhaseDoneCallback done) = 0;
  // Log phase: takes what it needs from `state` now and returns at once; the event is batched
  // and sent off the request path.
  virtual void runLog(const proxy::RequestState& state) = 0;
};
using RequestPluginsPtr = std::unique_ptr<RequestPlugins>;

// Plugins resolved for one Config generation (scopes, priorities, instances). Opaque to the proxy.
class PluginPlan {
public:
  virtual ~PluginPlan() = default;
  // True when no plugin is configured at all (the proxy skips plugins entirely).
  virtual bool empty() const = 0;
};
using PluginPlanSharedPtr = std::shared_ptr<const PluginPlan>;

// The plugin runtime's per-worker face.
class WorkerPlugins {
public:
  virtual ~WorkerPlugins() = default;
  // Starts the plugins of a new request under `plan` (the plan of the Config the request started
  // with). Returns null when no plugin can apply. `source` is borrowed until the RequestPlugins
  // is destroyed.
  virtual RequestPluginsPtr startRequest(const PluginPlan& plan, proxy::RequestState& state,
                                         RequestDataSource& source) = 0;
  // Called once the worker has no client connection left (graceful stop): sends the log-phase
  // events still collected and waits, bounded, for the log calls in flight to be answered, so
  // that the last requests' log lines are not lost. `done` runs on the worker thread.
  virtual void drain(std::function<void()> done) = 0;
};

// ---- Process-wide runtime (added by the plugin runtime; implemented in core/src/plugin/) ----

// An error found while building a plan, naming its place, e.g.
// {"plugins[2].config.message", "expected a string"}.
struct PlanError {
  std::string path;
  std::string message;
  std::string toString() const { return path.empty() ? message : path + ": " + message; }
};

// The outcome of start()/buildPlan(): a plan, or every error found (then plan is null).
using PlanCallback = std::function<void(PluginPlanSharedPtr plan, std::vector<PlanError> errors)>;

struct PluginManagerOptions {
  // The gateway's node id (kong.node.get_id); a random one when empty.
  std::string nodeId;
  // Error-log sink, called from the main and worker threads (must be thread-safe). `level` is
  // one of "debug", "info", "notice", "warn", "error", "crit". Default: stderr.
  std::function<void(std::string_view level, std::string_view message)> log;
  // Shutdown: how long a server may take after the Shutdown RPC before SIGTERM, and after
  // SIGTERM before SIGKILL.
  std::chrono::milliseconds shutdownGrace{3000};
  // Largest body a plugin may set (request, response or exit body).
  size_t maxMutationBodyBytes{8 * 1024 * 1024};
  // Starts managed servers; defaults to event::spawnProcess (tests inject a fake).
  using SpawnFn = std::function<StatusOr<event::ProcessPtr>(
      event::Dispatcher&, const event::ProcessOptions&, event::ProcessCallbacks&)>;
  SpawnFn spawn;
};

// The plugin runtime of the whole process: supervises the plugin servers (start or connect,
// handshake, restart with backoff, Configure), builds plans, and creates each worker's
// WorkerPlugins. Created by the server main on the main thread; every method except
// countersJson() must be called on the main dispatcher's thread. Destroy it after every
// WorkerPlugins it created and after stop() completed.
class PluginManager {
public:
  virtual ~PluginManager() = default;
  // Starts or connects to every server of config.pluginServers, waits for each handshake (up
  // to its start_timeout), then builds the first plan as buildPlan() does. `done` runs on the
  // main thread once.
  virtual void start(config::ConfigSharedPtr config, PlanCallback done) = 0;
  // Validates config.plugins against the servers' schemas and their Configure answers and
  // returns a plan whose new instances are already configured; on any error, all errors and no
  // plan (the caller keeps the old config). Instances only the old plans use are closed when the
  // last request on them finished. `done` runs on the main thread once.
  virtual void buildPlan(config::ConfigSharedPtr config, PlanCallback done) = 0;
  // The per-worker face. Call on the worker's thread (or before its loop runs); use and destroy
  // it on that thread only.
  virtual std::unique_ptr<WorkerPlugins> createWorkerPlugins(event::Dispatcher& worker) = 0;
  // Counters as a JSON object text (docs in core/src/plugin/counters.h). Thread-safe.
  virtual std::string countersJson() const = 0;
  // Clean close of every server: Shutdown RPC, then SIGTERM after the grace period, then
  // SIGKILL. Destroy the workers' WorkerPlugins first. `done` runs on the main thread.
  virtual void stop(std::function<void()> done) = 0;
};
using PluginManagerPtr = std::unique_ptr<PluginManager>;

// `main` is the dispatcher of the main thread (it runs the supervision and control calls).
PluginManagerPtr createPluginManager(event::Dispatcher& main, PluginManagerOptions options);

} // namespace gateway::plugin
