#pragma once

// The proxy as seen by the server (core/src/server/): one ProxyWorker per worker thread, fed
// accepted client connections, given new configuration snapshots on reload, and drained on stop.

#include <cstdint>
#include <functional>
#include <memory>

#include "gateway/config/model.h"
#include "gateway/event/dispatcher.h"
#include "gateway/plugin/runtime.h"
#include "gateway/router/router.h"

namespace gateway::proxy {

// Everything derived from one Config, immutable and shared by all workers. A request keeps the
// snapshot it started with (shared_ptr) until it ends, so a reload never changes a request in
// flight.
struct ConfigSnapshot {
  config::ConfigSharedPtr config;
  router::RouterSharedPtr router;
  plugin::PluginPlanSharedPtr plugins;  // Null when no plugin is configured.
  uint64_t generation{0};
};
using ConfigSnapshotSharedPtr = std::shared_ptr<const ConfigSnapshot>;

// Process-wide counters and log sinks the workers share are reached through this (owned by the
// server, outlives every worker).
class AccessLogSink {
public:
  virtual ~AccessLogSink() = default;
  // Thread-safe. One line per request (JSON or text, see docs/CONFIG.md).
  virtual void write(std::string&& line) = 0;
};

class ProxyWorker {
public:
  virtual ~ProxyWorker() = default;
  // A client connection accepted on this worker's dispatcher.
  virtual void onAccept(event::TcpStreamPtr connection) = 0;
  // New requests use `snapshot` from now on; requests in flight keep theirs.
  virtual void setConfig(ConfigSnapshotSharedPtr snapshot) = 0;
  // Stop taking new requests: idle keep-alive connections close now, busy ones close after their
  // current response. `onDrained` runs once no connection is left.
  virtual void drain(std::function<void()> onDrained) = 0;
  // Closes every connection now (drain deadline passed).
  virtual void closeAll() = 0;
  virtual size_t activeConnections() const = 0;
};
using ProxyWorkerPtr = std::unique_ptr<ProxyWorker>;

// `plugins` may be null (no plugin runtime); it and `accessLog` are borrowed and must outlive the
// worker. All objects live on `dispatcher`'s thread.
ProxyWorkerPtr createProxyWorker(event::Dispatcher& dispatcher, ConfigSnapshotSharedPtr snapshot,
                                 plugin::WorkerPlugins* plugins, AccessLogSink& accessLog);

} // namespace gateway::proxy
