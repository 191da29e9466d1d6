#include "worker_pool.h"

#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <stdexcept>

namespace gantry_pdk::detail {
namespace {

// Which pool and thread the current thread is (to know whether it leads).
thread_local const WorkerPool* tlsPool = nullptr;
thread_local int tlsIndex = -1;

void armTimer(int fd, std::chrono::nanoseconds in) {
  itimerspec spec{};
  const auto ns = std::max<int64_t>(in.count(), 1);
  spec.it_value.tv_sec = static_cast<time_t>(ns / 1000000000);
  spec.it_value.tv_nsec = static_cast<long>(ns % 1000000000);
  ::timerfd_settime(fd, 0, &spec, nullptr);
}

}  // namespace

WorkerPool::WorkerPool(unsigned threads) {
  timerFd_ = ::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
  if (timerFd_ < 0) {
    throw std::runtime_error("timerfd_create failed");
  }
  std::lock_guard lock(mutex_);
  for (unsigned i = 0; i < (threads == 0 ? 1 : threads); ++i) {
    startThread();
  }
  watchdog_ = std::thread([this] { watchdog(); });
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  followerCv_.notify_all();
  for (std::thread& t : threads_) {
    t.join();
  }
  {
    std::lock_guard lock(mutex_);
    watchdogStop_ = true;
  }
  armTimer(timerFd_, std::chrono::nanoseconds(1));  // Wakes the watchdog.
  watchdog_.join();
  ::close(timerFd_);
}

void WorkerPool::startThread() {
  const int index = static_cast<int>(threads_.size());
  threads_.emplace_back([this, index] { run(index); });
}

void WorkerPool::startPolling(std::function<bool()> poll) {
  std::lock_guard lock(mutex_);
  poll_ = std::move(poll);
  startThread();  // The thread that keeps polling while `threads` handlers run.
  followerCv_.notify_all();  // A leader waiting for tasks (no poller until now) starts polling.
}

void WorkerPool::waitPollEnded() {
  std::unique_lock lock(mutex_);
  pollEndedCv_.wait(lock, [&] { return pollEnded_ || !poll_; });
}

void WorkerPool::submit(std::function<void()> task) {
  std::vector<std::function<void()>> one;
  one.push_back(std::move(task));
  submitAll(one);
}

void WorkerPool::submitAll(std::vector<std::function<void()>>& tasks) {
  if (tasks.empty()) {
    return;
  }
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    for (auto& t : tasks) {
      tasks_.push_back(std::move(t));
    }
    const bool polling = poll_ && !pollEnded_;
    const bool fromLeader = tlsPool == this && tlsIndex == leader_;
    if (!polling) {
      wake = leaderWaiting_ || leader_ < 0;  // The leader waits for tasks; wake it.
    } else if (!fromLeader && idle_ > wakes_ + 1) {
      ++wakes_;  // The leader may sit in poll: a follower runs them (keeping one to take over).
      wake = true;
    }
  }
  tasks.clear();
  if (wake) {
    followerCv_.notify_all();
  }
}

void WorkerPool::blocking() {
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    if (tlsPool == this && tlsIndex == leader_) {
      demoteLocked();  // Someone else polls (the answer comes through the queue) and runs tasks.
      return;
    }
    const unsigned keep = poll_ && !pollEnded_ ? 1 : 0;
    if (!tasks_.empty() && idle_ > wakes_ + keep) {
      ++wakes_;
      wake = true;
    }
  }
  if (wake) {
    followerCv_.notify_one();
  }
}

void WorkerPool::demoteLocked() {
  leader_ = -1;
  leaderRunning_ = false;
  if (idle_ > 0) {
    followerCv_.notify_one();  // Its predicate sees leader_ < 0: it takes over.
  }
}

void WorkerPool::run(int me) {
  tlsPool = this;
  tlsIndex = me;
  std::unique_lock lock(mutex_);
  for (;;) {
    if (leader_ < 0) {
      leader_ = me;
    }
    const bool leading = leader_ == me;
    const bool polling = poll_ && !pollEnded_;
    // The leader runs tasks inline only while a sleeping follower could take over polling.
    if (!tasks_.empty() && (!leading || !polling || idle_ > wakes_)) {
      std::function<void()> task = std::move(tasks_.front());
      tasks_.pop_front();
      bool arm = false;
      if (leading && !leaderRunning_) {
        leaderRunning_ = true;
        runStart_ = std::chrono::steady_clock::now();
        // The timer armed for an earlier run, if it goes off at least kRescueAfter / 2 into this
        // one, is early enough: the watchdog then re-arms it for runStart_ + kRescueAfter. So
        // under load the timer is re-armed (a syscall) about once per kRescueAfter / 2, not per run.
        if (timerDeadline_ < runStart_ + kRescueAfter / 2) {
          timerDeadline_ = runStart_ + kRescueAfter;
          arm = true;
        }
      }
      lock.unlock();
      if (arm) {
        armTimer(timerFd_, kRescueAfter);
      }
      task();
      task = nullptr;  // Destroy captures outside the lock.
      lock.lock();
      continue;
    }
    if (leading) {
      leaderRunning_ = false;
    }
    if (leading && polling) {
      lock.unlock();
      const bool more = poll_();
      lock.lock();
      if (!more) {
        pollEnded_ = true;
        pollEndedCv_.notify_all();
        followerCv_.notify_all();
      }
      continue;
    }
    if (stopping_ && tasks_.empty() && !polling) {
      if (leading) {
        leader_ = -1;
      }
      followerCv_.notify_all();
      return;
    }
    if (leading) {  // No poller: wait for tasks.
      leaderWaiting_ = true;
      followerCv_.wait(lock, [&] {
        return !tasks_.empty() || stopping_ || leader_ != me || (poll_ && !pollEnded_);
      });
      leaderWaiting_ = false;
      continue;
    }
    ++idle_;
    followerCv_.wait(lock, [&] { return wakes_ > 0 || leader_ < 0 || stopping_; });
    --idle_;
    if (wakes_ > 0) {
      --wakes_;
    }
  }
}

void WorkerPool::watchdog() {
  for (;;) {
    uint64_t expirations = 0;
    const ssize_t n = ::read(timerFd_, &expirations, sizeof expirations);
    if (n < 0 && errno != EINTR && errno != EAGAIN) {
      return;
    }
    std::lock_guard lock(mutex_);
    if (watchdogStop_) {
      return;
    }
    timerDeadline_ = {};  // Went off (or was re-armed at the same time: harmless).
    if (leader_ < 0 || !leaderRunning_) {
      continue;  // The run ended in time.
    }
    const auto ran = std::chrono::steady_clock::now() - runStart_;
    if (ran >= kRescueAfter - std::chrono::microseconds(50)) {
      demoteLocked();  // Running (or stuck) too long without polling: a follower takes over.
    } else {
      timerDeadline_ = runStart_ + kRescueAfter;
      armTimer(timerFd_, kRescueAfter - ran);
    }
  }
}

}  // namespace gantry_pdk::detail
