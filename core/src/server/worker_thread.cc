#include "server/worker_thread.h"

#include <future>

#include "common/logging.h"

namespace gateway::server {

namespace {
constexpr int kListenBacklog = 511;
} // namespace

WorkerThread::WorkerThread(int index, proxy::AccessLogSink& accessLog,
                           plugin::PluginManager* plugins)
    : index_(index), accessLog_(accessLog), pluginManager_(plugins),
      dispatcher_(event::createDispatcher()),
      loop_(dispatcher_.get()) {}

WorkerThread::~WorkerThread() { join(); }

StatusOr<std::vector<uint16_t>>
WorkerThread::start(proxy::ConfigSnapshotSharedPtr snapshot,
                    const std::vector<config::ListenAddress>& addresses) {
  std::promise<StatusOr<std::vector<uint16_t>>> promise;
  auto future = promise.get_future();
  thread_ = std::thread([this, snapshot = std::move(snapshot), addresses, &promise]() mutable {
    threadMain(std::move(snapshot), std::move(addresses),
               [&promise](StatusOr<std::vector<uint16_t>> result) {
                 promise.set_value(std::move(result));
               });
  });
  auto result = future.get();
  if (!result.isOk()) {
    join();
  }
  return result;
}

void WorkerThread::threadMain(proxy::ConfigSnapshotSharedPtr snapshot,
                              std::vector<config::ListenAddress> addresses,
                              std::function<void(StatusOr<std::vector<uint16_t>>)> ready) {
  // This worker's face of the plugin runtime: created, used and destroyed on this thread; it
  // outlives worker_ (every RequestPlugins is gone before it is destroyed).
  if (pluginManager_ != nullptr) {
    workerPlugins_ = pluginManager_->createWorkerPlugins(*dispatcher_);
  }
  worker_ = proxy::createProxyWorker(*dispatcher_, std::move(snapshot), workerPlugins_.get(),
                                     accessLog_);

  std::vector<uint16_t> ports;
  for (const auto& address : addresses) {
    auto listener = dispatcher_->listenTcp(
        address.host, address.port, kListenBacklog,
        [this](event::TcpStreamPtr connection) { worker_->onAccept(std::move(connection)); });
    if (!listener.isOk()) {
      listeners_.clear();
      worker_.reset();
      workerPlugins_.reset();
      dispatcher_.reset();
      ready(listener.status());
      return;
    }
    ports.push_back(listener.value()->port());
    listeners_.push_back(std::move(listener.value()));
  }
  ready(std::move(ports));  // `ready` refers to the caller's promise: not used after this.

  dispatcher_->run();
  // stop() already destroyed worker_ and listeners_; the dispatcher's destructor runs the last
  // close callbacks.
  listeners_.clear();
  worker_.reset();
  workerPlugins_.reset();
  dispatcher_.reset();
  log::debug("worker " + std::to_string(index_) + " stopped");
}

void WorkerThread::setConfig(proxy::ConfigSnapshotSharedPtr snapshot,
                             std::function<void()> applied) {
  loop_->post([this, snapshot = std::move(snapshot), applied = std::move(applied)]() mutable {
    if (worker_ != nullptr) {
      worker_->setConfig(std::move(snapshot));
    }
    applied();
  });
}

void WorkerThread::drain(std::function<void()> onDrained) {
  loop_->post([this, onDrained = std::move(onDrained)]() mutable {
    listeners_.clear();  // New connections are refused from now on.
    if (worker_ == nullptr) {
      onDrained();
      return;
    }
    worker_->drain([this, onDrained = std::move(onDrained)]() mutable {
      // No client connection left: let the last log-phase calls reach their servers.
      if (workerPlugins_ != nullptr) {
        workerPlugins_->drain(std::move(onDrained));
      } else {
        onDrained();
      }
    });
  });
}

void WorkerThread::closeAll() {
  loop_->post([this] {
    if (worker_ != nullptr) {
      worker_->closeAll();
    }
  });
}

void WorkerThread::activeConnections(std::function<void(size_t)> cb) {
  loop_->post([this, cb = std::move(cb)] { cb(worker_ != nullptr ? worker_->activeConnections() : 0); });
}

void WorkerThread::stop() {
  loop_->post([this] {
    listeners_.clear();
    worker_.reset();         // Ends the requests left, destroying their RequestPlugins.
    workerPlugins_.reset();  // Before the dispatcher (threadMain destroys it after the loop).
    loop_->exit();
  });
}

void WorkerThread::join() {
  if (thread_.joinable()) {
    thread_.join();
  }
}

} // namespace gateway::server
