#pragma once

// A fixed pool of threads running handler tasks, so one slow plugin call does not stall others,
// built to wake as few threads as possible (a sleep/wake costs more CPU than a cheap handler).
//
// Wake-up rules:
// - submitAll() queues a whole batch under one lock and wakes at most one sleeping worker, and
//   none when a worker is awake and not yet running a task (it will take the batch).
// - A worker keeps taking tasks until the queue is empty, then sleeps.
// - A worker running a task while more are queued is not helped at once. One sleeping worker is
//   the standby: while tasks are queued (and kLingerTicks after), it wakes every
//   kRescueInterval, and if a task that was queued at its previous tick is still queued (the
//   queue is not moving: a handler is slow or blocked), it starts taking tasks itself; the next
//   sleeper becomes the standby. So a task waits behind a slow handler for at most about two
//   intervals per worker already stuck. A worker that takes a task while others wait behind it
//   wakes the standby if it is not ticking.
// - blocking() (a handler about to wait for a lazy fetch) wakes a worker at once if tasks are
//   queued and nobody is free to take them.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace gantry_pdk::detail {

class WorkerPool {
public:
  static constexpr std::chrono::microseconds kRescueInterval{1000};
  // Ticks the standby goes on ticking after the queue emptied (under steady load it then ticks
  // on rather than being woken for each batch).
  static constexpr int kLingerTicks = 3;

  explicit WorkerPool(unsigned threads);
  ~WorkerPool();  // Runs the tasks already queued, then joins.
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues tasks; tasks must not throw (they are wrapped by the caller). submitAll() empties
  // `tasks`.
  void submit(std::function<void()> task);
  void submitAll(std::vector<std::function<void()>>& tasks);

  // Called by a task (on a worker thread) before it blocks for a long time.
  void blocking();

private:
  void run();
  // Wakes a sleeper when queued tasks would otherwise wait; called with mutex_ held, returns
  // which condition variable to notify (nullptr: none).
  std::condition_variable* wakeForQueuedLocked();
  // The standby's wait (see above); returns when it should take tasks. mutex_ held.
  void standbyWait(std::unique_lock<std::mutex>& lock);

  std::mutex mutex_;
  std::condition_variable workCv_;     // Plain sleepers.
  std::condition_variable standbyCv_;  // The standby.
  std::deque<std::function<void()>> tasks_;
  uint64_t pushed_ = 0;      // Tasks ever queued.
  uint64_t popped_ = 0;      // Tasks ever taken.
  unsigned free_ = 0;        // Awake workers not running a task (about to take one or sleep).
  unsigned running_ = 0;     // Workers running a task.
  unsigned sleepers_ = 0;    // Workers waiting on workCv_.
  unsigned wakesPending_ = 0;  // workCv_ notifications not yet consumed.
  bool haveStandby_ = false;
  bool standbyWanted_ = false;  // The next woken sleeper becomes the standby.
  bool standbyTicking_ = false;  // The standby waits with a timeout (else until notified).
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace gantry_pdk::detail
