// Reload and graceful stop of the running server; everything here runs on the main thread's
// dispatcher (signal callbacks and what workers post back).

#include <memory>

#include "common/logging.h"
#include "gateway/config/loader.h"
#include "server/server.h"
#include "server/snapshot.h"

namespace gateway::server {

namespace {

bool sameListen(const std::vector<config::ListenAddress>& a,
                const std::vector<config::ListenAddress>& b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].host != b[i].host || a[i].port != b[i].port) {
      return false;
    }
  }
  return true;
}

} // namespace

void Server::reload() {
  if (draining_) {
    log::warn("reload ignored: gantry is stopping");
    return;
  }
  config::LoadResult result = config::loadFile(options_.configPath);
  if (!result.errors.empty()) {
    log::error("configuration reload failed, keeping generation " + std::to_string(generation_) +
               ": " + std::to_string(result.errors.size()) + " error(s) in " +
               options_.configPath);
    for (const auto& error : result.errors) {
      log::error("invalid configuration: " + options_.configPath + ": " + error.toString());
    }
    return;
  }
  const config::GatewaySettings& before = current_->config->gateway;
  const config::GatewaySettings& after = result.config->gateway;
  if (!sameListen(before.listen, after.listen) || before.workers != after.workers) {
    log::warn("reload: listen addresses and workers only change on restart");
  }
  Status logs = applyLogSettings(*result.config);
  if (!logs.isOk()) {
    log::error("reload: error log settings not applied: " + logs.message());
  }
  Status access = accessLog_->reopen(after.log.accessLog);
  if (!access.isOk()) {
    log::error("reload: access log not changed: " + access.message());
  }

  ++generation_;
  current_ = buildSnapshot(result.config, generation_);
  // Logged once every worker switched, so a request sent after the line sees the new config.
  auto pending = std::make_shared<size_t>(workers_.size());
  uint64_t generation = generation_;
  event::Dispatcher* main = main_.get();
  for (auto& worker : workers_) {
    worker->setConfig(current_, [main, pending, generation] {
      main->post([pending, generation] {
        if (--*pending == 0) {
          log::notice("configuration reloaded (generation " + std::to_string(generation) + ")");
        }
      });
    });
  }
}

void Server::beginDrain() {
  if (draining_) {
    log::notice("second stop signal: closing all connections now");
    forceClose();
    return;
  }
  draining_ = true;
  auto timeout = current_->config->gateway.drainTimeout;
  log::notice("draining connections (timeout " + std::to_string(timeout.count()) + " ms)");
  workersToDrain_ = workers_.size();
  event::Dispatcher* main = main_.get();
  for (auto& worker : workers_) {
    worker->drain([this, main] { main->post([this] { onWorkerDrained(); }); });
  }
  drainTimer_ = main_->createTimer([this] {
    log::notice("drain timeout: closing the remaining connections");
    forceClose();
  });
  drainTimer_->enable(timeout);
}

void Server::onWorkerDrained() {
  if (workersToDrain_ > 0 && --workersToDrain_ == 0) {
    finishDrain();
  }
}

void Server::forceClose() {
  for (auto& worker : workers_) {
    worker->closeAll();
  }
  finishDrain();
}

void Server::finishDrain() {
  if (drainFinished_) {
    return;
  }
  drainFinished_ = true;
  if (draining_) {
    log::notice("drain complete");
  }
  if (drainTimer_ != nullptr) {
    drainTimer_->disable();
  }
  for (auto& worker : workers_) {
    worker->stop();
  }
  main_->exit();
}

} // namespace gateway::server
