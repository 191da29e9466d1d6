#pragma once

// What one worker's plugin objects share: its dispatcher, its links to every server, its
// detached log calls, and the way back to the manager on the main thread. Owned (shared) by the
// worker's WorkerPluginsImpl; lives on the worker thread. Requests borrow it (they are destroyed
// before the WorkerPlugins, as the seam requires).

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "gateway/event/dispatcher.h"
#include "plugin/counters.h"
#include "plugin/grpc_control.h"
#include "plugin/log.h"
#include "plugin/mutation_rules.h"
#include "plugin/server_link.h"
#include "plugin/server_shared.h"

namespace gateway::plugin {

// The manager's side of the worker conversation; called on the main thread only.
class RuntimeControl {
public:
  virtual ~RuntimeControl() = default;
  // A worker's stream of `generation` broke: reconnect / re-handshake / re-Configure.
  virtual void onStreamBroken(size_t server, uint64_t generation) = 0;
  // Re-sends Configure for these instances (after KIND_UNKNOWN_INSTANCE); `done(ok)` runs on
  // the main thread.
  virtual void reconfigure(size_t server, std::vector<uint64_t> instanceIds,
                           std::function<void(bool ok)> done) = 0;
};

// Runs a function on the main thread against the manager, if it still exists.
struct ControlHandle {
  MainPosterSharedPtr poster;
  std::shared_ptr<bool> alive;   // Main thread only: false once the manager is destroyed.
  RuntimeControl* control{nullptr};
  void run(std::function<void(RuntimeControl&)> fn) const {
    poster->post([alive = alive, control = control, fn = std::move(fn)] {
      if (*alive) {
        fn(*control);
      }
    });
  }
};
using ControlHandleSharedPtr = std::shared_ptr<const ControlHandle>;

class LogCall;

struct WorkerContext : std::enable_shared_from_this<WorkerContext> {
  WorkerContext(event::Dispatcher& d, std::vector<ServerShared*> s, RuntimeCounters& c,
                ControlHandleSharedPtr h, LogFn l, MutationLimits m, std::string node);
  ~WorkerContext();

  // The link that carries `requestId`'s events to `server` (streams are picked by request id).
  ServerLink& link(size_t server, uint64_t requestId);
  void onServerChanged(size_t server);
  // Re-Configure through the manager; `done(ok)` runs on this worker's thread, if the worker
  // still exists.
  void reconfigure(size_t server, std::vector<uint64_t> ids, std::function<void(bool)> done);
  void adoptLogCall(std::unique_ptr<LogCall> call);
  void dropLogCall(LogCall* call);
  // Sends every collected log event now and calls `done` once no log call is in flight or
  // `bound` has passed (WorkerPlugins::drain).
  void drainLogs(std::chrono::milliseconds bound, std::function<void()> done);

  event::Dispatcher& dispatcher;
  std::vector<ServerShared*> servers;             // Owned by the manager; outlive the worker.
  RuntimeCounters& counters;                      // Owned by the manager.
  ControlHandleSharedPtr control;
  LogFn log;
  MutationLimits limits;
  std::string nodeId;
  std::vector<std::vector<std::unique_ptr<ServerLink>>> links;  // [server][stream]
  std::unordered_map<LogCall*, std::unique_ptr<LogCall>> logCalls;
  event::TimerPtr drainTimer;  // Polls logCalls while draining (drainLogs).
};

} // namespace gateway::plugin
