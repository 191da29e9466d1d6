#pragma once

// `gantry start`: the gateway process. Loads the configuration, starts the workers, then runs
// the main thread's own dispatcher, which only handles signals:
//   SIGHUP          reload (server_lifecycle.cc): invalid file -> keep the running config and
//                   log every error; valid -> a new snapshot to every worker.
//   SIGTERM/SIGINT  graceful stop: listeners close, workers drain for up to
//                   gateway.drainTimeout, then remaining connections are closed; a second
//                   signal closes them at once.
// Log lines other processes (integration tests) wait for, on the error log:
//   [notice] listening on HOST:PORT                 once per address, after every worker bound
//   [notice] gantry started (pid P, N workers, generation 1)
//   [notice] configuration reloaded (generation N)  after every worker switched
//   [error] configuration reload failed ...         one line per error follows
//   [notice] draining connections (timeout N ms)    /  [notice] drain complete  /  [notice] gantry stopped

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gateway/event/dispatcher.h"
#include "gateway/event/process.h"
#include "gateway/proxy/worker.h"
#include "server/access_log.h"
#include "server/cli.h"
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
  bool loadInitialConfig();
  Status applyLogSettings(const config::Config& config);
  bool startWorkers();
  void installSignals();

  // server_lifecycle.cc: reload and drain, on the main thread.
  void reload();
  void beginDrain();
  void onWorkerDrained();
  void forceClose();
  void finishDrain();

  CliOptions options_;
  event::DispatcherPtr main_;
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
};

} // namespace gateway::server
