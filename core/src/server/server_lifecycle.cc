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

bool samePluginServers(const std::vector<config::PluginServer>& a,
                       const std::vector<config::PluginServer>& b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    const auto& x = a[i];
    const auto& y = b[i];
    if (x.name != y.name || x.command != y.command || x.env != y.env || x.address != y.address ||
        x.startTimeout != y.startTimeout || x.phaseTimeout != y.phaseTimeout ||
        x.failOpen != y.failOpen || x.streams != y.streams) {
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
  if (!started_) {
    log::warn("reload ignored: gantry is starting");
    return;
  }
  if (reloading_) {
    reloadAgain_ = true;  // Once the reload in progress finished.
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
  if (!samePluginServers(current_->config->pluginServers, result.config->pluginServers)) {
    log::warn("reload: plugin_servers changed; plugin server changes need a restart (the "
              "running plugin servers are kept, plugins are validated against them)");
  }
  reloading_ = true;
  config::ConfigSharedPtr config = result.config;
  plugins_->buildPlan(config, [this, config](plugin::PluginPlanSharedPtr plan,
                                             std::vector<plugin::PlanError> errors) {
    reloading_ = false;
    if (draining_) {
      return;
    }
    if (!errors.empty()) {
      log::error("configuration reload failed, keeping generation " +
                 std::to_string(generation_) + ": " + std::to_string(errors.size()) +
                 " error(s) in " + options_.configPath);
      for (const auto& error : errors) {
        log::error("invalid configuration: " + options_.configPath + ": " + error.toString());
      }
    } else {
      applyReload(config, std::move(plan));
    }
    if (reloadAgain_) {
      reloadAgain_ = false;
      main_->post([this] { reload(); });
    }
  });
}

void Server::applyReload(config::ConfigSharedPtr config, plugin::PluginPlanSharedPtr plan) {
  const config::GatewaySettings& before = current_->config->gateway;
  const config::GatewaySettings& after = config->gateway;
  if (!sameListen(before.listen, after.listen) || before.workers != after.workers) {
    log::warn("reload: listen addresses and workers only change on restart");
  }
  if (before.statusListen.has_value() != after.statusListen.has_value() ||
      (before.statusListen && (before.statusListen->host != after.statusListen->host ||
                               before.statusListen->port != after.statusListen->port))) {
    log::warn("reload: status_listen only changes on restart");
  }
  Status logs = applyLogSettings(*config);
  if (!logs.isOk()) {
    log::error("reload: error log settings not applied: " + logs.message());
  }
  Status access = accessLog_->reopen(after.log.accessLog);
  if (!access.isOk()) {
    log::error("reload: access log not changed: " + access.message());
  }

  ++generation_;
  current_ = buildSnapshot(std::move(config), generation_, std::move(plan));
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
  if (!started_) {
    // Still starting (plugin servers): stop them now; the start callback (if it still comes)
    // sees draining_ and does nothing more.
    log::notice("stop requested during start-up");
    main_->post([this] { stopPlugins(); });
    return;
  }
  status_.reset();
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
  if (drainFinished_) {
    return;  // The workers are gone; the plugin servers are stopping.
  }
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
  status_.reset();
  // Workers first: each destroys its ProxyWorker (ending its requests and their
  // RequestPlugins), then its WorkerPlugins, on its own thread.
  for (auto& worker : workers_) {
    worker->stop();
  }
  for (auto& worker : workers_) {
    worker->join();
  }
  stopPlugins();
}

void Server::stopPlugins() {
  if (stoppingPlugins_) {
    return;
  }
  stoppingPlugins_ = true;
  plugins_->stop([this] {
    // Not from inside the runtime's own callback: destroy it on the next loop turn.
    main_->post([this] {
      plugins_.reset();
      if (exitCode_ == 0) {
        log::notice("plugin servers stopped");
      }
      main_->exit();
    });
  });
}

} // namespace gateway::server
