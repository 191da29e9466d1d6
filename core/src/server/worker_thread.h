#pragma once

// One worker: a thread running its own Dispatcher, ProxyWorker and one Listener per listen
// address (SO_REUSEPORT: every worker binds the same addresses and the kernel spreads the
// connections). Every method is called from the main thread; the work is posted to the worker's
// dispatcher, so ProxyWorker and Listeners are only touched on the worker thread.

#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "gateway/config/model.h"
#include "gateway/event/dispatcher.h"
#include "gateway/plugin/runtime.h"
#include "gateway/proxy/worker.h"

namespace gateway::server {

class WorkerThread {
public:
  // `accessLog` and `plugins` (may be null: no plugin runtime) are borrowed and must outlive the
  // worker. The worker creates its WorkerPlugins from `plugins` on its own thread and destroys
  // it there, after its ProxyWorker and before its dispatcher.
  WorkerThread(int index, proxy::AccessLogSink& accessLog, plugin::PluginManager* plugins);
  // Joins the thread (call stop() first).
  ~WorkerThread();

  // Starts the thread and waits until it listens on every address. Returns the bound ports (in
  // the order of `addresses`; port 0 resolved) or the first error (the thread is then gone).
  StatusOr<std::vector<uint16_t>> start(proxy::ConfigSnapshotSharedPtr snapshot,
                                        const std::vector<config::ListenAddress>& addresses);

  // New requests use `snapshot`; `applied` then runs on the worker thread.
  void setConfig(proxy::ConfigSnapshotSharedPtr snapshot, std::function<void()> applied);
  // Stops the listeners and drains the ProxyWorker; `onDrained` runs on the worker thread once
  // no connection is left.
  void drain(std::function<void()> onDrained);
  // Closes every connection now.
  void closeAll();
  // Number of client connections open on this worker (posted to the worker thread; `cb` runs
  // there).
  void activeConnections(std::function<void(size_t)> cb);
  // Destroys the ProxyWorker, its WorkerPlugins and listeners on the worker thread and ends its
  // loop.
  void stop();
  void join();

private:
  void threadMain(proxy::ConfigSnapshotSharedPtr snapshot,
                  std::vector<config::ListenAddress> addresses,
                  std::function<void(StatusOr<std::vector<uint16_t>>)> ready);

  const int index_;
  proxy::AccessLogSink& accessLog_;
  plugin::PluginManager* pluginManager_;
  event::DispatcherPtr dispatcher_;  // Created here, run and destroyed on the worker thread.
  event::Dispatcher* loop_{nullptr}; // For post(); valid until join().
  // Worker-thread state. workerPlugins_ outlives worker_ (destroyed after it).
  std::unique_ptr<plugin::WorkerPlugins> workerPlugins_;
  proxy::ProxyWorkerPtr worker_;
  std::vector<event::ListenerPtr> listeners_;
  std::thread thread_;
};

} // namespace gateway::server
