#pragma once

// The deadlines of many phase calls on one timer. Calls armed with the same timeout expire in
// the order they were armed, so each distinct timeout keeps a FIFO list and the one timer is
// armed for the earliest head: arming, disarming and expiring cost O(number of distinct
// timeouts), a handful, and no allocation once the lists exist. (One event::Timer per call cost
// several mallocs and a libuv handle open/close per request.)
//
// Worker thread only. Entries are embedded in the owner's records, which must not move while
// armed (ServerLink keeps them in an unordered_map, whose nodes are stable).

#include <chrono>
#include <cstddef>
#include <functional>
#include <vector>

#include "gateway/event/dispatcher.h"

namespace gateway::plugin {

class DeadlineQueue {
public:
  struct Entry {
    Entry* prev{nullptr};
    Entry* next{nullptr};
    size_t list{kNone};
    event::MonotonicTime deadline{};
  };

  // `onExpired(entry)` runs for each expired entry, which is disarmed first; it may arm,
  // disarm or free any entry (including this one).
  DeadlineQueue(event::Dispatcher& dispatcher, std::function<void(Entry&)> onExpired);
  DeadlineQueue(const DeadlineQueue&) = delete;
  DeadlineQueue& operator=(const DeadlineQueue&) = delete;

  // Arms `entry` to expire `timeout` from now (re-arming moves it).
  void arm(Entry& entry, std::chrono::milliseconds timeout);
  void disarm(Entry& entry);
  static bool armed(const Entry& entry) { return entry.list != kNone; }

private:
  static constexpr size_t kNone = static_cast<size_t>(-1);
  struct List {
    std::chrono::milliseconds timeout;
    Entry* head{nullptr};
    Entry* tail{nullptr};
  };

  void onTimer();
  void rearmTimer();

  event::Dispatcher& dispatcher_;
  std::function<void(Entry&)> onExpired_;
  std::vector<List> lists_;  // One per distinct timeout seen; never shrinks.
  event::TimerPtr timer_;
  event::MonotonicTime timerDeadline_{};
  bool inTimer_{false};
};

} // namespace gateway::plugin
