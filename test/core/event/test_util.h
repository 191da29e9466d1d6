#pragma once

// Helpers for event tests: run a dispatcher until a condition holds (with a wall-clock guard so a
// broken test fails instead of hanging), and record what a child process reports.

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/event/dispatcher.h"
#include "gateway/event/process.h"

namespace gateway::event::test {

// Runs `dispatcher` until `done()` is true or `limit` passes; returns done().
inline bool runUntil(Dispatcher& dispatcher, const std::function<bool()>& done,
                     std::chrono::milliseconds limit = std::chrono::milliseconds(5000)) {
  bool timedOut = false;
  auto guard = dispatcher.createTimer([&] { timedOut = true; });
  guard->enable(limit);
  // A short poll timer re-checks done() after every loop turn.
  TimerPtr poll;
  std::function<void()> check = [&] {
    if (done() || timedOut) {
      dispatcher.exit();
      guard->disable();
      return;
    }
    poll->enable(std::chrono::milliseconds(1));
  };
  poll = dispatcher.createTimer(check);
  poll->enable(std::chrono::milliseconds(0));
  dispatcher.run();
  return done();
}

// Records a child process's output lines and exit.
struct ProcessRecorder : ProcessCallbacks {
  std::vector<std::string> out;
  std::vector<std::string> err;
  bool exited{false};
  int64_t status{-1};
  int signal{-1};
  void onOutputLine(bool isStderr, std::string_view line) override {
    (isStderr ? err : out).emplace_back(line);
  }
  void onExit(int64_t exitStatus, int termSignal) override {
    exited = true;
    status = exitStatus;
    signal = termSignal;
  }
};

} // namespace gateway::event::test
