#include "plugin/server_supervisor.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>

namespace gateway::plugin {
namespace {

constexpr std::chrono::milliseconds kMaxRestartBackoff{10000};
constexpr std::chrono::milliseconds kStableUptime{30000};
constexpr std::chrono::milliseconds kMaxConnectBackoff{2000};
constexpr std::string_view kReadyPrefix = "GANTRY_PLUGIN_READY|";

} // namespace

ServerSupervisor::ServerSupervisor(SupervisorEnv env, ServerShared& shared, SupervisorHost& host)
    : env_(std::move(env)), shared_(shared), host_(host), alive_(std::make_shared<bool>(true)) {}

ServerSupervisor::~ServerSupervisor() {
  *alive_ = false;
  if (process_ != nullptr && process_->running()) {
    process_->kill(SIGKILL);
  }
}

std::chrono::milliseconds ServerSupervisor::remainingStart() const {
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(env_.main.now() -
                                                                       startedAt_);
  auto left = shared_.config.startTimeout - elapsed;
  return std::max(left, std::chrono::milliseconds(100));
}

void ServerSupervisor::start(std::function<void(Status)> firstReady) {
  firstReady_ = std::move(firstReady);
  startedAt_ = env_.main.now();
  startTimer_ = env_.main.createTimer([this] { onStartTimeout(); });
  startTimer_->enable(shared_.config.startTimeout);
  if (managed()) {
    spawn();
  } else {
    connect(shared_.config.address);
  }
}

void ServerSupervisor::reportFirst(Status status) {
  if (firstReady_) {
    auto cb = std::move(firstReady_);
    firstReady_ = nullptr;
    cb(std::move(status));
  }
}

void ServerSupervisor::onStartTimeout() {
  if (state_ == State::Ready) {
    return;
  }
  const std::string what = managed() ? "did not become ready" : "could not be reached";
  reportFirst(unavailable("plugin server \"" + name() + "\" " + what + " within " +
                          std::to_string(shared_.config.startTimeout.count()) + " ms"));
  if (managed() && process_ != nullptr && process_->running() &&
      (state_ == State::Spawning || state_ == State::Connecting)) {
    env_.log("error", "plugin server \"" + name() + "\" did not become ready in time; killing it");
    process_->kill(SIGKILL);  // onExit restarts it with backoff.
  }
}

void ServerSupervisor::spawn() {
  state_ = State::Spawning;
  const std::string socket = env_.socketDir + "/" + name() + ".sock";
  ::unlink(socket.c_str());
  event::ProcessOptions options;
  options.argv = shared_.config.command;
  options.extraEnv = shared_.config.env;
  options.extraEnv["GANTRY_PLUGIN_PROTOCOL_VERSIONS"] = "1";
  options.extraEnv["GANTRY_PLUGIN_SOCKET"] = socket;
  options.extraEnv["GANTRY_PLUGIN_SERVER_NAME"] = name();
  // A gantry killed with SIGKILL (or crashing) takes its plugin servers with it. The supervisor
  // runs on the main thread, which lives as long as the process.
  options.dieWithParent = true;
  auto spawned = env_.spawn(env_.main, options, *this);
  if (!spawned.isOk()) {
    const std::string why = "plugin server \"" + name() + "\": cannot start: " +
                            spawned.status().message();
    env_.log("error", why);
    // At start-up (gantry start/check) a command that cannot be spawned fails at once with the
    // reason instead of retrying until start_timeout; later it is retried with backoff.
    reportFirst(unavailable("cannot start " + shared_.config.command.front() + ": " +
                            spawned.status().message()));
    onExit(-1, 0);
    return;
  }
  process_ = std::move(spawned.value());
  env_.log("notice", "plugin server \"" + name() + "\" started (pid " +
                         std::to_string(process_->pid()) + ")");
}

void ServerSupervisor::onOutputLine(bool isStderr, std::string_view line) {
  if (!isStderr && state_ == State::Spawning && line.substr(0, kReadyPrefix.size()) == kReadyPrefix) {
    // GANTRY_PLUGIN_READY|<version>|unix|<path>
    std::string_view rest = line.substr(kReadyPrefix.size());
    const size_t a = rest.find('|');
    const size_t b = a == std::string_view::npos ? a : rest.find('|', a + 1);
    if (b == std::string_view::npos || rest.substr(0, a) != "1" ||
        rest.substr(a + 1, b - a - 1) != "unix") {
      env_.log("error", "plugin server \"" + name() + "\": bad handshake line: " +
                            std::string(line) + " (expected GANTRY_PLUGIN_READY|1|unix|<path>)");
      return;
    }
    connect("unix:" + std::string(rest.substr(b + 1)));
    return;
  }
  env_.log(isStderr ? "warn" : "notice", "[plugin-server:" + name() + "] " + std::string(line));
}

void ServerSupervisor::onExit(int64_t exitStatus, int termSignal) {
  process_.reset();
  const State was = state_;
  unpublish();
  if (was == State::Stopping || was == State::Stopped) {
    state_ = State::Stopped;
    stopTimer_.reset();
    if (stopDone_) {
      auto done = std::move(stopDone_);
      stopDone_ = nullptr;
      done();
    }
    return;
  }
  bump(shared_.counters.restarts);
  if (was == State::Ready && env_.main.now() - readyAt_ >= kStableUptime) {
    restartBackoff_ = std::chrono::milliseconds(100);
  }
  env_.log("error", "plugin server \"" + name() + "\" exited (" +
                        (termSignal ? "signal " + std::to_string(termSignal)
                                    : "status " + std::to_string(exitStatus)) +
                        "); restarting in " + std::to_string(restartBackoff_.count()) + " ms");
  state_ = State::Backoff;
  ++attempt_;
  retryTimer_ = env_.main.createTimer([this] {
    if (state_ == State::Backoff) {
      spawn();
    }
  });
  retryTimer_->enable(restartBackoff_);
  restartBackoff_ = std::min(restartBackoff_ * 2, kMaxRestartBackoff);
}

void ServerSupervisor::unpublish() {
  if (shared_.snapshot().ready) {
    shared_.publish(std::string(), generation_, false);
    host_.onServerChanged(shared_.index);
  }
}

void ServerSupervisor::connect(const std::string& address) {
  address_ = address;
  channel_ = makeChannel(address);
  handshake();
}

void ServerSupervisor::handshake() {
  state_ = State::Connecting;
  const uint64_t attempt = ++attempt_;
  v1::GetInfoRequest request;
  request.add_protocol_versions(1);
  request.set_gateway_version("gantry/0.1.0");
  const auto deadline = std::min(remainingStart(), std::chrono::milliseconds(2000));
  callGetInfo(channel_, request, deadline, /*waitForReady=*/true, env_.poster,
              [this, alive = alive_, attempt](Status s, v1::GetInfoResponse&& info) {
                if (!*alive || attempt != attempt_ || state_ != State::Connecting) {
                  return;
                }
                if (s && info.protocol_version() != 1) {
                  s = invalidArgument("server chose protocol version " +
                                      std::to_string(info.protocol_version()) + "; gantry speaks 1");
                }
                if (!s) {
                  env_.log("warn", "plugin server \"" + name() + "\": handshake failed: " +
                                       s.message());
                  retryConnect();
                  return;
                }
                info_ = std::move(info);
                configureAll();
              });
}

void ServerSupervisor::retryConnect() {
  if (managed() && process_ == nullptr) {
    return;  // onExit drives the restart.
  }
  const uint64_t attempt = attempt_;
  retryTimer_ = env_.main.createTimer([this, attempt] {
    if (attempt == attempt_ && state_ == State::Connecting) {
      handshake();
    }
  });
  retryTimer_->enable(connectBackoff_);
  connectBackoff_ = std::min(connectBackoff_ * 2, kMaxConnectBackoff);
}

void ServerSupervisor::configureAll() {
  state_ = State::Configuring;
  v1::ConfigureRequest request = host_.liveInstances(shared_.index);
  if (request.instances_size() == 0) {
    becomeReady();
    return;
  }
  const uint64_t attempt = attempt_;
  callConfigure(channel_, request, std::chrono::milliseconds(10000), env_.poster,
                [this, alive = alive_, attempt](Status s, v1::ConfigureResponse&& resp) {
                  if (!*alive || attempt != attempt_ || state_ != State::Configuring) {
                    return;
                  }
                  for (const auto& r : resp.results()) {
                    if (s && !r.ok()) {
                      s = invalidArgument("instance " + std::to_string(r.instance_id()) +
                                          " rejected: " + r.error());
                    }
                  }
                  if (!s) {
                    env_.log("error", "plugin server \"" + name() +
                                          "\": re-configure failed: " + s.message());
                    state_ = State::Connecting;
                    retryConnect();
                    return;
                  }
                  becomeReady();
                });
}

void ServerSupervisor::becomeReady() {
  state_ = State::Ready;
  readyAt_ = env_.main.now();
  connectBackoff_ = std::chrono::milliseconds(50);
  ++generation_;
  shared_.publish(address_, generation_, true);
  env_.log("notice", "plugin server \"" + name() + "\" ready (" + address_ + ", generation " +
                         std::to_string(generation_) + ")");
  host_.onServerChanged(shared_.index);
  reportFirst(Status::ok());
}

void ServerSupervisor::configure(const v1::ConfigureRequest& request,
                                 std::function<void(Status, v1::ConfigureResponse&&)> done) {
  if (state_ != State::Ready) {
    done(unavailable("plugin server \"" + name() + "\" is not ready"), {});
    return;
  }
  callConfigure(channel_, request, std::chrono::milliseconds(10000), env_.poster,
                [alive = alive_, done = std::move(done)](Status s,
                                                         v1::ConfigureResponse&& resp) {
                  if (*alive) {
                    done(std::move(s), std::move(resp));
                  }
                });
}

void ServerSupervisor::onStreamBroken(uint64_t generation) {
  if (state_ != State::Ready || generation != generation_) {
    return;  // Already handled (another worker's stream, or an older generation).
  }
  env_.log("warn", "plugin server \"" + name() + "\": event stream broke; reconnecting");
  unpublish();
  channel_ = makeChannel(address_);  // A fresh connection.
  handshake();
}

void ServerSupervisor::stop(std::function<void()> done) {
  const State was = state_;
  state_ = State::Stopping;
  ++attempt_;
  startTimer_.reset();
  retryTimer_.reset();
  unpublish();
  reportFirst(unavailable("gantry is stopping"));
  if (!managed() || process_ == nullptr || !process_->running()) {
    state_ = State::Stopped;
    done();
    return;
  }
  stopDone_ = std::move(done);
  if (was == State::Ready && channel_ != nullptr) {
    v1::ShutdownRequest request;
    request.set_grace_period_ms(static_cast<uint32_t>(env_.shutdownGrace.count()));
    callShutdown(channel_, request, env_.shutdownGrace, env_.poster, [](Status) {});
  } else {
    stopStep_ = 1;  // Not talking gRPC yet: go straight to SIGTERM.
    process_->kill(SIGTERM);
  }
  stopTimer_ = env_.main.createTimer([this] { escalateStop(); });
  stopTimer_->enable(env_.shutdownGrace);
}

void ServerSupervisor::escalateStop() {
  if (process_ == nullptr) {
    return;
  }
  ++stopStep_;
  if (stopStep_ == 1) {
    env_.log("warn", "plugin server \"" + name() + "\" still running after Shutdown; SIGTERM");
    process_->kill(SIGTERM);
    stopTimer_->enable(env_.shutdownGrace);
  } else {
    env_.log("warn", "plugin server \"" + name() + "\" still running after SIGTERM; SIGKILL");
    process_->kill(SIGKILL);
  }
}

} // namespace gateway::plugin
