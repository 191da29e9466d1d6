#pragma once

// The seam between the proxy's per-request phase machine (core/src/proxy/) and the plugin runtime
// (core/src/plugin/, which talks gRPC to plugin servers). The proxy only sees these interfaces;
// a request with no plugin pays nothing (startRequest returns null).
//
// Threading: a PluginPlan is immutable and shared by all workers; WorkerPlugins and
// RequestPlugins live on one worker thread, and every callback they invoke runs on that thread.

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "gateway/common/status.h"
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
};

} // namespace gateway::plugin
