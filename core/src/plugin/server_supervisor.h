#pragma once

// Supervision of one plugin server, on the main thread (the central state machine of the
// plugin runtime's control plane; larger than most files for that reason).
//
//   Idle         created, start() not called yet.
//   Spawning     managed: the process runs, waiting for its GANTRY_PLUGIN_READY line.
//   Connecting   GetInfo in flight (sidecars retry with backoff until it answers).
//   Configuring  Configure of every live instance in flight.
//   Ready        published to the workers as a new generation (channel + ready).
//   Backoff      managed: the process exited; restart after the backoff delay (100 ms doubling
//                to 10 s; back to 100 ms once it stayed up 30 s).
//   Stopping     stop(): Shutdown RPC, SIGTERM after the grace period, SIGKILL after another.
//   Stopped      nothing runs; no callbacks follow.
//
// A worker stream that breaks on the current generation sends the server back to Connecting
// (the same process for managed servers, if it still runs): every live instance is configured
// again before the next generation is published, so events never reach a server that does not
// know their instances. Calls in flight on the broken stream fail by policy in the workers.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gateway/event/dispatcher.h"
#include "gateway/event/process.h"
#include "gateway/plugin/runtime.h"
#include "plugin/grpc_control.h"
#include "plugin/log.h"
#include "plugin/server_shared.h"

namespace gateway::plugin {

// What a supervisor needs from the manager (main thread).
class SupervisorHost {
public:
  virtual ~SupervisorHost() = default;
  // Every live instance of this server, for Configure after a (re)connect.
  virtual v1::ConfigureRequest liveInstances(size_t server) const = 0;
  // A new generation was published (ready or not): tell the workers.
  virtual void onServerChanged(size_t server) = 0;
};

struct SupervisorEnv {
  event::Dispatcher& main;
  MainPosterSharedPtr poster;
  LogFn log;
  PluginManagerOptions::SpawnFn spawn;
  std::string socketDir;       // Private temp dir for managed servers' sockets.
  std::chrono::milliseconds shutdownGrace{3000};
};

class ServerSupervisor : public event::ProcessCallbacks {
public:
  ServerSupervisor(SupervisorEnv env, ServerShared& shared, SupervisorHost& host);
  // Kills a still-running managed server (SIGKILL): nothing is ever orphaned.
  ~ServerSupervisor() override;

  // Starts (managed) or connects (sidecar). `firstReady` runs once: Ok when the server became
  // ready, or an error when start_timeout passed first (supervision goes on regardless).
  void start(std::function<void(Status)> firstReady);
  // Configure on the current connection; `done` on the main thread. Fails when not ready.
  void configure(const v1::ConfigureRequest& request,
                 std::function<void(Status, v1::ConfigureResponse&&)> done);
  void onStreamBroken(uint64_t generation);
  void stop(std::function<void()> done);

  bool ready() const { return state_ == State::Ready; }
  const v1::GetInfoResponse& info() const { return info_; }
  const std::string& name() const { return shared_.config.name; }

  // event::ProcessCallbacks
  void onOutputLine(bool isStderr, std::string_view line) override;
  void onExit(int64_t exitStatus, int termSignal) override;

private:
  enum class State { Idle, Spawning, Connecting, Configuring, Ready, Backoff, Stopping, Stopped };

  bool managed() const { return !shared_.config.command.empty(); }
  void spawn();
  void connect(const std::string& address);
  void handshake();
  void configureAll();
  void becomeReady();
  void retryConnect();
  void unpublish();
  void onStartTimeout();
  void reportFirst(Status status);
  void escalateStop();
  std::chrono::milliseconds remainingStart() const;

  SupervisorEnv env_;
  ServerShared& shared_;
  SupervisorHost& host_;
  State state_{State::Idle};
  uint64_t attempt_{0};          // Bumped on each (re)connect; stale completions are ignored.
  uint64_t generation_{0};
  event::ProcessPtr process_;
  std::string address_;
  ChannelSharedPtr channel_;
  v1::GetInfoResponse info_;
  std::function<void(Status)> firstReady_;
  event::TimerPtr startTimer_;
  event::TimerPtr retryTimer_;
  event::TimerPtr stopTimer_;
  event::MonotonicTime startedAt_{};
  event::MonotonicTime readyAt_{};
  std::chrono::milliseconds restartBackoff_{100};
  std::chrono::milliseconds connectBackoff_{50};
  int stopStep_{0};
  std::function<void()> stopDone_;
  std::shared_ptr<bool> alive_;
};

} // namespace gateway::plugin
