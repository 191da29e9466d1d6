#pragma once

// `gantry start`: the gateway process. Loads the configuration, starts the plugin runtime (plugin
// servers, handshakes, the first plugin plan) on the main thread's dispatcher, then starts the
// workers. The main dispatcher then handles signals, the plugin runtime's supervision and the
// status endpoint:
//   SIGHUP          reload (server_lifecycle.cc): invalid file or plugin configs -> keep the
//                   running config and log every error; valid -> a new snapshot (config +
//                   plugin plan) to every worker.
//   SIGUSR1         logs the plugin runtime's counters at notice level.
//   SIGTERM/SIGINT  graceful stop: listeners close, workers drain for up to
//                   gateway.drainTimeout, then remaining connections are closed; a second
//                   signal closes them at once. Then the plugin servers are stopped (Shutdown
//                   RPC, SIGTERM after the grace period, SIGKILL).
// Log lines other processes (integration tests) wait for, on the error log:
//   [notice] listening on HOST:PORT                 once per address, after every worker bound
//   [notice] plugin runtime ready (N plugin servers, M plugins)   (only with plugins configured)
//   [notice] status endpoint listening on HOST:PORT (when gantry.status_listen is set)
//   [notice] gantry started (pid P, N workers, generation 1)      last: traffic is accepted
//   [notice] configuration reloaded (generation N)  after every worker switched
//   [error] configuration reload failed ...         one line per error follows
//   [error] invalid configuration: FILE: <path>: <message>   (start, reload; start then exits 1)
//   [notice] draining connections (timeout N ms)    /  [notice] drain complete
//   [notice] plugin servers stopped  /  [notice] gantry stopped

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gateway/event/dispatcher.h"
#include "gateway/event/process.h"
#include "gateway/plugin/runtime.h"
#include "gateway/proxy/worker.h"
#include "server/access_log.h"
#include "server/cli.h"
#include "server/status_server.h"
#include "server/worker_thread.h"

namespace gateway::server {

class Server {
public:
  explicit Server(CliOptions options);
  ~Server();

  // Runs until stopped; returns the process exit code (0 after a graceful stop, 1 if the
  // configuration is invalid or the addresses cannot be bound).
  int run();

private:
  // server.cc: startup.
  config::ConfigSharedPtr loadInitialConfig();
  Status applyLogSettings(const config::Config& config);
  void onPluginsStarted(config::ConfigSharedPtr config, plugin::PluginPlanSharedPtr plan);
  bool startWorkers();
  void installSignals();
  void startStatusServer();
  void logPluginCounters();

  // server_lifecycle.cc: reload and drain, on the main thread.
  void reload();
  void applyReload(config::ConfigSharedPtr config, plugin::PluginPlanSharedPtr plan);
  void beginDrain();
  void onWorkerDrained();
  void forceClose();
  void finishDrain();
  // Stops the plugin servers, then destroys the plugin runtime and ends the main loop.
  void stopPlugins();

  CliOptions options_;
  event::DispatcherPtr main_;
  // Created after main_, destroyed (after stop() completed and every worker is gone) before it.
  plugin::PluginManagerPtr plugins_;
  std::unique_ptr<StatusServer> status_;
  int exitCode_{0};
  bool started_{false};      // Workers run (the plugin runtime's start completed).
  bool reloading_{false};    // A buildPlan is in flight.
  bool reloadAgain_{false};  // SIGHUP during a reload: reload again after it.
  std::vector<event::SignalWatcherPtr> signals_;
  std::unique_ptr<AccessLog> accessLog_;
  std::vector<std::unique_ptr<WorkerThread>> workers_;
  proxy::ConfigSnapshotSharedPtr current_;
  uint64_t generation_{0};
  std::vector<config::ListenAddress> boundAddresses_;

  bool draining_{false};
  bool drainFinished_{false};
  size_t workersToDrain_{0};
  event::TimerPtr drainTimer_;
  bool pidFileWritten_{false};
  bool stoppingPlugins_{false};
};

} // namespace gateway::server
