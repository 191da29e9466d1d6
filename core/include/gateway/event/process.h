#pragma once

// Child processes (plugin servers gantry starts and supervises) and POSIX signals, on a
// Dispatcher's thread. Implemented in core/src/event/ on libuv (uv_spawn, uv_signal).

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/common/status.h"
#include "gateway/event/dispatcher.h"

namespace gateway::event {

struct ProcessOptions {
  std::vector<std::string> argv;               // argv[0] is the program (searched in PATH).
  std::map<std::string, std::string> extraEnv; // Added to the parent's environment.
  std::string workingDirectory;                // Empty = inherit.
  // Linux: the child gets SIGKILL when the thread that spawned it dies (PR_SET_PDEATHSIG), so it
  // never outlives a gantry that was SIGKILLed or crashed. Spawn from a thread that lives as
  // long as the process (the main thread). Elsewhere: ignored.
  bool dieWithParent{false};
};

class ProcessCallbacks {
public:
  virtual ~ProcessCallbacks() = default;
  // One line of the child's stdout or stderr (without the newline), as it arrives.
  virtual void onOutputLine(bool isStderr, std::string_view line) = 0;
  // The child exited (exitStatus) or was killed (termSignal != 0). No callbacks follow.
  virtual void onExit(int64_t exitStatus, int termSignal) = 0;
};

class Process {
public:
  virtual ~Process() = default;  // Destroying does not kill the child: call kill() first.
  virtual int pid() const = 0;
  virtual Status kill(int signum) = 0;
  virtual bool running() const = 0;
};
using ProcessPtr = std::unique_ptr<Process>;

// Starts a child with stdout/stderr piped into callbacks (borrowed; must outlive the Process).
StatusOr<ProcessPtr> spawnProcess(Dispatcher& dispatcher, const ProcessOptions& options,
                                  ProcessCallbacks& callbacks);

class SignalWatcher {
public:
  virtual ~SignalWatcher() = default;
};
using SignalWatcherPtr = std::unique_ptr<SignalWatcher>;

// Calls `cb` on the dispatcher's thread each time `signum` is delivered to the process.
SignalWatcherPtr watchSignal(Dispatcher& dispatcher, int signum, std::function<void()> cb);

} // namespace gateway::event
