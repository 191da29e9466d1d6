#include "server/server.h"

#include <csignal>
#include <thread>

#include <unistd.h>

#include "common/logging.h"
#include "gateway/config/loader.h"
#include "server/pid_file.h"
#include "server/plugin_runtime.h"
#include "server/snapshot.h"

namespace gateway::server {

namespace {

std::string hostPort(const config::ListenAddress& address) {
  if (address.host.find(':') != std::string::npos) {
    return "[" + address.host + "]:" + std::to_string(address.port);
  }
  return address.host + ":" + std::to_string(address.port);
}

} // namespace

Server::Server(CliOptions options) : options_(std::move(options)) {}

Server::~Server() {
  for (auto& worker : workers_) {
    worker->join();
  }
}

int Server::run() {
  std::signal(SIGPIPE, SIG_IGN);
  config::ConfigSharedPtr config = loadInitialConfig();
  if (config == nullptr) {
    return 1;
  }
  main_ = event::createDispatcher();
  plugins_ = plugin::createPluginManager(*main_, pluginManagerOptions());
  installSignals();
  // The plugin servers start (and are handshaken) with the main loop running; the workers start
  // once the first plan is built.
  plugins_->start(config, [this, config](plugin::PluginPlanSharedPtr plan,
                                         std::vector<plugin::PlanError> errors) {
    if (draining_) {
      // A stop signal came during start-up: whatever the outcome, stop (exit code 0).
      main_->post([this] { stopPlugins(); });
      return;
    }
    if (!errors.empty()) {
      for (const auto& error : errors) {
        log::error("invalid configuration: " + options_.configPath + ": " + error.toString());
      }
      log::crit("gantry not started: " + std::to_string(errors.size()) +
                " configuration error(s) in " + options_.configPath);
      exitCode_ = 1;
      main_->post([this] { stopPlugins(); });  // Not from inside the runtime's callback.
      return;
    }
    onPluginsStarted(config, std::move(plan));
  });

  main_->run();  // Until stopPlugins() completed.

  for (auto& worker : workers_) {
    worker->join();
  }
  workers_.clear();
  status_.reset();
  signals_.clear();
  drainTimer_.reset();
  plugins_.reset();
  if (pidFileWritten_) {
    removePidFile(options_.pidFile);
  }
  if (exitCode_ == 0) {
    log::notice("gantry stopped");
  }
  return exitCode_;
}

config::ConfigSharedPtr Server::loadInitialConfig() {
  config::LoadResult result = config::loadFile(options_.configPath);
  if (!result.errors.empty()) {
    for (const auto& error : result.errors) {
      log::error("invalid configuration: " + options_.configPath + ": " + error.toString());
    }
    log::crit("gantry not started: " + std::to_string(result.errors.size()) +
              " configuration error(s) in " + options_.configPath);
    return nullptr;
  }
  Status logs = applyLogSettings(*result.config);
  if (!logs.isOk()) {
    log::crit("gantry not started: " + logs.message());
    return nullptr;
  }
  auto accessLog = AccessLog::open(result.config->gateway.log.accessLog);
  if (!accessLog.isOk()) {
    log::crit("gantry not started: " + accessLog.status().message());
    return nullptr;
  }
  accessLog_ = std::move(accessLog.value());
  return result.config;
}

Status Server::applyLogSettings(const config::Config& config) {
  const config::LogSettings& settings = config.gateway.log;
  auto level = log::parseLevel(settings.errorLogLevel);
  if (!level) {
    return invalidArgument("unknown error_log_level '" + settings.errorLogLevel + "'");
  }
  Status output = log::setOutput(settings.errorLog);
  if (!output.isOk()) {
    return output;
  }
  log::setLevel(*level);
  return Status::ok();
}

void Server::onPluginsStarted(config::ConfigSharedPtr config, plugin::PluginPlanSharedPtr plan) {
  if (!config->pluginServers.empty() || !config->plugins.empty()) {
    log::notice("plugin runtime ready (" + std::to_string(config->pluginServers.size()) +
                " plugin servers, " + std::to_string(config->plugins.size()) + " plugins)");
  }
  generation_ = 1;
  current_ = buildSnapshot(std::move(config), generation_, std::move(plan));
  if (!startWorkers()) {
    exitCode_ = 1;
    forceClose();  // Stops the workers already running, then the plugin servers.
    return;
  }
  started_ = true;
  if (!options_.pidFile.empty()) {
    Status written = writePidFile(options_.pidFile, static_cast<int>(::getpid()));
    if (!written.isOk()) {
      log::error(written.message());
      exitCode_ = 1;
      forceClose();
      return;
    }
    pidFileWritten_ = true;
  }
  for (const auto& address : boundAddresses_) {
    log::notice("listening on " + hostPort(address));
  }
  startStatusServer();
  log::notice("gantry started (pid " + std::to_string(::getpid()) + ", " +
              std::to_string(workers_.size()) + " workers, generation " +
              std::to_string(generation_) + ")");
}

bool Server::startWorkers() {
  const config::GatewaySettings& settings = current_->config->gateway;
  int count = settings.workers > 0 ? settings.workers
                                   : static_cast<int>(std::thread::hardware_concurrency());
  if (count <= 0) {
    count = 1;
  }
  // The first worker binds the configured addresses (port 0 picks a free port); the others bind
  // the ports it got, so every worker listens on the same sockets' address.
  std::vector<config::ListenAddress> addresses = settings.listen;
  for (int i = 0; i < count; ++i) {
    auto worker = std::make_unique<WorkerThread>(i, *accessLog_, plugins_.get());
    auto ports = worker->start(current_, addresses);
    if (!ports.isOk()) {
      log::crit("gantry not started: " + ports.status().message());
      return false;
    }
    for (size_t a = 0; a < addresses.size(); ++a) {
      addresses[a].port = ports.value()[a];
    }
    workers_.push_back(std::move(worker));
  }
  boundAddresses_ = addresses;
  return true;
}

void Server::installSignals() {
  signals_.push_back(event::watchSignal(*main_, SIGHUP, [this] { reload(); }));
  signals_.push_back(event::watchSignal(*main_, SIGTERM, [this] { beginDrain(); }));
  signals_.push_back(event::watchSignal(*main_, SIGINT, [this] { beginDrain(); }));
  signals_.push_back(event::watchSignal(*main_, SIGUSR1, [this] { logPluginCounters(); }));
}

void Server::logPluginCounters() {
  if (plugins_ != nullptr) {
    log::notice("plugin counters: " + plugins_->countersJson());
  }
}

void Server::startStatusServer() {
  const auto& listen = current_->config->gateway.statusListen;
  if (!listen) {
    return;
  }
  StatusServer::Sources sources;
  sources.pluginCounters = [this] {
    return plugins_ != nullptr ? plugins_->countersJson() : std::string("{}");
  };
  sources.generation = [this] { return generation_; };
  sources.workers = [this] { return workers_.size(); };
  sources.activeConnections = [this](std::function<void(size_t)> done) {
    if (workers_.empty() || draining_) {
      done(0);
      return;
    }
    // Each worker answers on its thread; the sum is reported on the main thread.
    struct Sum {
      size_t pending;
      size_t total{0};
      std::function<void(size_t)> done;
    };
    auto sum = std::make_shared<Sum>(Sum{workers_.size(), 0, std::move(done)});
    event::Dispatcher* main = main_.get();
    for (auto& worker : workers_) {
      worker->activeConnections([main, sum](size_t n) {
        main->post([sum, n] {
          sum->total += n;
          if (--sum->pending == 0) {
            sum->done(sum->total);
          }
        });
      });
    }
  };
  auto server = StatusServer::start(*main_, *listen, std::move(sources));
  if (!server.isOk()) {
    log::error("status endpoint not started: " + server.status().message());
    return;
  }
  status_ = std::move(server.value());
  log::notice("status endpoint listening on " +
              hostPort(config::ListenAddress{listen->host, status_->port()}));
}

} // namespace gateway::server
