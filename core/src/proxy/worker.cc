// ProxyWorker: the per-worker owner of client connections, the configuration snapshot, the
// upstream keep-alive pool and the balancers (all in WorkerContext). Single-threaded.

#include "gateway/proxy/worker.h"

#include <unordered_map>

#include "proxy/connection_manager.h"
#include "proxy/worker_context.h"

namespace gateway::proxy {

namespace {

class ProxyWorkerImpl : public ProxyWorker, public ConnectionRegistry {
public:
  ProxyWorkerImpl(event::Dispatcher& dispatcher, ConfigSnapshotSharedPtr snapshot,
                  plugin::WorkerPlugins* plugins, AccessLogSink& accessLog)
      : context_(dispatcher, std::move(snapshot), plugins, accessLog) {}

  ~ProxyWorkerImpl() override {
    closeAll();
    context_.pool.closeAll();
    context_.deleter.clear();
  }

  // ProxyWorker
  void onAccept(event::TcpStreamPtr socket) override {
    if (context_.draining ||
        connections_.size() >= context_.settings().limits.maxConnections) {
      socket->closeNow();
      return;
    }
    auto connection = std::make_unique<ConnectionManager>(context_, *this, std::move(socket));
    ConnectionManager* raw = connection.get();
    connections_.emplace(raw, std::move(connection));
    raw->start();
  }

  void setConfig(ConfigSnapshotSharedPtr snapshot) override {
    const auto& limits = snapshot->config->gateway.limits;
    context_.pool.setLimits(limits.upstreamKeepalivePoolSize, limits.upstreamKeepaliveIdleTimeout);
    context_.balancers.setSnapshot(snapshot);
    context_.snapshot = std::move(snapshot);
  }

  void drain(std::function<void()> onDrained) override {
    context_.draining = true;
    onDrained_ = std::move(onDrained);
    context_.pool.closeAll();
    std::vector<ConnectionManager*> all;
    all.reserve(connections_.size());
    for (auto& [raw, owned] : connections_) {
      all.push_back(raw);
    }
    for (ConnectionManager* c : all) {
      if (connections_.count(c) != 0) {
        c->drain();
      }
    }
    maybeDrained();
  }

  void closeAll() override {
    std::vector<ConnectionManager*> all;
    for (auto& [raw, owned] : connections_) {
      all.push_back(raw);
    }
    for (ConnectionManager* c : all) {
      if (connections_.count(c) != 0) {
        c->closeNow();
      }
    }
    context_.pool.closeAll();
  }

  size_t activeConnections() const override { return connections_.size(); }

  // ConnectionRegistry
  void onConnectionClosed(ConnectionManager& connection) override {
    auto it = connections_.find(&connection);
    if (it == connections_.end()) {
      return;
    }
    context_.deleter.deferDelete(std::move(it->second));
    connections_.erase(it);
    maybeDrained();
  }

private:
  void maybeDrained() {
    if (context_.draining && connections_.empty() && onDrained_) {
      auto cb = std::move(onDrained_);
      onDrained_ = nullptr;
      cb();
    }
  }

  WorkerContext context_;
  std::unordered_map<ConnectionManager*, std::unique_ptr<ConnectionManager>> connections_;
  std::function<void()> onDrained_;
};

} // namespace

ProxyWorkerPtr createProxyWorker(event::Dispatcher& dispatcher, ConfigSnapshotSharedPtr snapshot,
                                 plugin::WorkerPlugins* plugins, AccessLogSink& accessLog) {
  return std::make_unique<ProxyWorkerImpl>(dispatcher, std::move(snapshot), plugins, accessLog);
}

} // namespace gateway::proxy
