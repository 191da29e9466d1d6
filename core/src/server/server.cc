#include "server/server.h"

#include <csignal>
#include <thread>

#include <unistd.h>

#include "common/logging.h"
#include "gateway/config/loader.h"
#include "server/pid_file.h"
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
  if (!loadInitialConfig()) {
    return 1;
  }
  main_ = event::createDispatcher();
  if (!startWorkers()) {
    return 1;
  }
  if (!options_.pidFile.empty()) {
    Status written = writePidFile(options_.pidFile, static_cast<int>(::getpid()));
    if (!written.isOk()) {
      log::error(written.message());
      forceClose();
      main_->run();
      return 1;
    }
    pidFileWritten_ = true;
  }
  installSignals();
  for (const auto& address : boundAddresses_) {
    log::notice("listening on " + hostPort(address));
  }
  log::notice("gantry started (pid " + std::to_string(::getpid()) + ", " +
              std::to_string(workers_.size()) + " workers, generation " +
              std::to_string(generation_) + ")");

  main_->run();  // Until finishDrain().

  for (auto& worker : workers_) {
    worker->join();
  }
  workers_.clear();
  signals_.clear();
  drainTimer_.reset();
  if (pidFileWritten_) {
    removePidFile(options_.pidFile);
  }
  log::notice("gantry stopped");
  return 0;
}

bool Server::loadInitialConfig() {
  config::LoadResult result = config::loadFile(options_.configPath);
  if (!result.errors.empty()) {
    for (const auto& error : result.errors) {
      log::error("invalid configuration: " + options_.configPath + ": " + error.toString());
    }
    log::crit("gantry not started: " + std::to_string(result.errors.size()) +
              " configuration error(s) in " + options_.configPath);
    return false;
  }
  Status logs = applyLogSettings(*result.config);
  if (!logs.isOk()) {
    log::crit("gantry not started: " + logs.message());
    return false;
  }
  auto accessLog = AccessLog::open(result.config->gateway.log.accessLog);
  if (!accessLog.isOk()) {
    log::crit("gantry not started: " + accessLog.status().message());
    return false;
  }
  accessLog_ = std::move(accessLog.value());
  generation_ = 1;
  current_ = buildSnapshot(result.config, generation_);
  return true;
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
    auto worker = std::make_unique<WorkerThread>(i, *accessLog_);
    auto ports = worker->start(current_, addresses);
    if (!ports.isOk()) {
      log::crit("gantry not started: " + ports.status().message());
      forceClose();  // Stops the workers already running.
      main_->run();
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
}

} // namespace gateway::server
