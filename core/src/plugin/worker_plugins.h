#pragma once

// WorkerPlugins for one worker thread: owns the worker's WorkerContext (links to every server)
// and starts each request's RequestPluginsImpl. Destroy it on the worker thread after every
// RequestPlugins it started; the manager must outlive it.

#include <chrono>
#include <functional>
#include <memory>

#include "gateway/plugin/runtime.h"
#include "plugin/worker_context.h"

namespace gateway::plugin {

class WorkerPluginsImpl : public WorkerPlugins {
public:
  // `unregister` runs in the destructor (the manager stops broadcasting to this worker).
  WorkerPluginsImpl(std::shared_ptr<WorkerContext> context, std::function<void()> unregister);
  ~WorkerPluginsImpl() override;

  RequestPluginsPtr startRequest(const PluginPlan& plan, proxy::RequestState& state,
                                 RequestDataSource& source) override;
  void drain(std::function<void()> done) override;

  WorkerContext& contextForTest() { return *context_; }

private:
  // How long a graceful stop waits for log calls in flight (the server's drain timeout still
  // bounds the whole stop).
  static constexpr std::chrono::milliseconds kLogDrainBound{3000};
  std::shared_ptr<WorkerContext> context_;
  std::function<void()> unregister_;
};

} // namespace gateway::plugin
