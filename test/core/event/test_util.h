#pragma once

// Helpers for event tests: run a dispatcher until a condition holds (with a wall-clock guard so a
// broken test fails instead of hanging).

#include <chrono>
#include <functional>

#include "gateway/event/dispatcher.h"

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

} // namespace gateway::event::test
