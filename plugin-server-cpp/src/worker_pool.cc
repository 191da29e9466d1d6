#include "worker_pool.h"

namespace gantry_pdk::detail {

WorkerPool::WorkerPool(unsigned threads) {
  std::lock_guard lock(mutex_);
  for (unsigned i = 0; i < (threads == 0 ? 1 : threads); ++i) {
    ++free_;
    threads_.emplace_back([this] { run(); });
  }
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  workCv_.notify_all();
  standbyCv_.notify_all();
  for (std::thread& t : threads_) {
    t.join();
  }
}

std::condition_variable* WorkerPool::wakeForQueuedLocked() {
  if (tasks_.empty() || free_ > 0) {
    return nullptr;  // Nothing to do, or a free worker will take it.
  }
  if (running_ == 0) {
    // Everybody sleeps: wake a plain sleeper, or the standby if it is the only one.
    if (sleepers_ > wakesPending_) {
      ++wakesPending_;
      ++free_;  // Counted as free from now on, so one batch wakes one thread.
      --sleepers_;
      return &workCv_;
    }
    if (haveStandby_) {
      return &standbyCv_;
    }
    return nullptr;
  }
  // Workers are busy: the standby watches that the queue moves.
  if (haveStandby_ && !standbyTicking_) {
    standbyTicking_ = true;
    return &standbyCv_;
  }
  return nullptr;
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
  std::condition_variable* wake = nullptr;
  {
    std::lock_guard lock(mutex_);
    for (auto& t : tasks) {
      tasks_.push_back(std::move(t));
    }
    pushed_ += tasks.size();
    wake = wakeForQueuedLocked();
  }
  tasks.clear();
  if (wake) {
    wake->notify_one();
  }
}

void WorkerPool::blocking() {
  std::condition_variable* wake = nullptr;
  {
    std::lock_guard lock(mutex_);
    if (!tasks_.empty() && free_ == 0 && sleepers_ > wakesPending_) {
      ++wakesPending_;
      ++free_;
      --sleepers_;
      wake = &workCv_;
    }
  }
  if (wake) {
    wake->notify_one();
  }
}

void WorkerPool::run() {
  std::unique_lock lock(mutex_);
  bool becomeStandby = false;
  for (;;) {
    // free_ counts this thread here.
    if (!tasks_.empty() && !becomeStandby) {
      std::function<void()> task = std::move(tasks_.front());
      tasks_.pop_front();
      ++popped_;
      --free_;
      ++running_;
      // Tasks wait behind this one: make sure the standby watches them.
      const bool wakeStandby = !tasks_.empty() && free_ == 0 && haveStandby_ && !standbyTicking_;
      standbyTicking_ = standbyTicking_ || wakeStandby;
      lock.unlock();
      if (wakeStandby) {
        standbyCv_.notify_one();
      }
      task();
      task = nullptr;  // Destroy captures outside the lock.
      lock.lock();
      --running_;
      ++free_;
      continue;
    }
    if (stopping_) {
      --free_;
      return;
    }
    --free_;
    if (!haveStandby_) {
      becomeStandby = false;
      standbyWait(lock);
      ++free_;
      continue;
    }
    becomeStandby = false;
    ++sleepers_;
    workCv_.wait(lock, [&] { return wakesPending_ > 0 || stopping_; });
    if (wakesPending_ > 0) {
      --wakesPending_;  // free_ and sleepers_ were adjusted by the waker.
    } else {
      --sleepers_;
      ++free_;
    }
    if (standbyWanted_ && !haveStandby_) {
      standbyWanted_ = false;
      becomeStandby = true;
    }
  }
}

void WorkerPool::standbyWait(std::unique_lock<std::mutex>& lock) {
  // Tick while tasks are queued, else sleep until notified; return to help when the queue does
  // not move or nobody is on it.
  haveStandby_ = true;
  uint64_t queuedAtLastTick = popped_;  // Nothing counts as waiting yet.
  int idleTicks = kLingerTicks;         // Sleep until notified when nothing happens.
  for (;;) {
    if (stopping_) {
      break;
    }
    if (!tasks_.empty() && free_ == 0 && (running_ == 0 || popped_ < queuedAtLastTick)) {
      break;  // Work and nobody free for it, and either nobody on it or it did not move.
    }
    idleTicks = tasks_.empty() ? idleTicks + 1 : 0;
    if (idleTicks <= kLingerTicks) {
      queuedAtLastTick = pushed_;
      standbyTicking_ = true;
      standbyCv_.wait_for(lock, kRescueInterval);
    } else {
      queuedAtLastTick = popped_;
      standbyTicking_ = false;
      standbyCv_.wait(lock);
      idleTicks = 0;
    }
  }
  haveStandby_ = false;
  standbyTicking_ = false;
  // Someone else watches from now on: the next sleeper to wake becomes the standby.
  if (!stopping_ && sleepers_ > wakesPending_) {
    standbyWanted_ = true;
    ++wakesPending_;
    ++free_;
    --sleepers_;
    workCv_.notify_one();
  }
}

}  // namespace gantry_pdk::detail
