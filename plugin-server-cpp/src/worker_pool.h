#pragma once

// The threads of a plugin server: they poll the gRPC completion queue and run handler tasks,
// built to wake as few threads as possible (a sleep/wake costs more CPU than a cheap handler).
//
// Leader/follower. One thread at a time is the leader: it polls (startPolling's `poll`, which
// blocks for the next completion-queue event and handles it, possibly submitting tasks) and runs
// the tasks queued, inline, one after another, before polling again. So a busy Events stream
// costs one wake-up per EventBatch: the leader wakes for the read, runs the batch's calls and
// starts the write itself. The other threads sleep as followers.
//
// Rescue. Inline tasks must not keep the queue from being polled nor stall the calls behind them:
// - A watchdog thread (a timerfd armed when the leader starts running tasks unless it already goes
//   off at least kRescueAfter / 2 into the run, so it is rarely re-armed and rarely wakes while
//   runs are short) finds a leader that has been running tasks for kRescueAfter without polling,
//   demotes it and wakes a follower, which becomes the leader (polls and takes the tasks still
//   queued). The old leader finishes its task, then helps with queued tasks or sleeps.
// - blocking() (a handler about to wait for a lazy fetch, whose answer only the poller can read)
//   hands leadership over at once.
// - The leader runs tasks only while a follower sleeps who could take over; else it leaves them
//   to the threads running tasks (which take queued tasks when they finish) and goes on polling.
//   So the queue is always polled within about kRescueAfter, whatever the handlers do.
//
// Without startPolling (tests), the leader waits for submitted tasks instead of polling (a submit
// from another thread wakes it).

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace gantry_pdk::detail {

class WorkerPool {
public:
  static constexpr std::chrono::microseconds kRescueAfter{1000};

  // `threads` handler threads (at least 1); startPolling adds one so that `threads` tasks can run
  // at once while the queue is still polled.
  explicit WorkerPool(unsigned threads);
  ~WorkerPool();  // Runs the tasks already queued, then joins (after the poll ended, if any).
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Makes the leader call `poll` whenever no task is queued; `poll` returns false when the
  // source is drained (then it is never called again). Call once, before submitting.
  void startPolling(std::function<bool()> poll);
  // Waits until `poll` returned false.
  void waitPollEnded();

  // Queues tasks; tasks must not throw (they are wrapped by the caller). submitAll() empties
  // `tasks`.
  void submit(std::function<void()> task);
  void submitAll(std::vector<std::function<void()>>& tasks);

  // Called by a task before it blocks for a long time (a lazy fetch).
  void blocking();

private:
  void run(int index);
  void startThread();
  void watchdog();
  // Gives up leadership of `leader_` and wakes a follower to take it. mutex_ held.
  void demoteLocked();

  std::mutex mutex_;
  std::condition_variable followerCv_;  // Followers (and, without a poller, the waiting leader).
  std::condition_variable pollEndedCv_;
  std::deque<std::function<void()>> tasks_;
  std::function<bool()> poll_;  // Set once by startPolling.
  int leader_ = -1;             // Index of the leader thread; -1: none (the next to look takes it).
  bool leaderWaiting_ = false;  // Without a poller: the leader sleeps on followerCv_ for tasks.
  bool leaderRunning_ = false;  // The leader runs tasks (since runStart_).
  std::chrono::steady_clock::time_point runStart_;
  // When the watchdog's timer goes off; the epoch (the past) when it is not armed.
  std::chrono::steady_clock::time_point timerDeadline_;
  unsigned idle_ = 0;           // Followers asleep on followerCv_.
  unsigned wakes_ = 0;          // followerCv_ wake-ups for work not yet consumed.
  bool pollEnded_ = false;
  bool stopping_ = false;
  bool watchdogStop_ = false;  // The threads are joined.
  int timerFd_ = -1;
  std::vector<std::thread> threads_;
  std::thread watchdog_;
};

}  // namespace gantry_pdk::detail
