#pragma once

// A fixed pool of threads running handler tasks, so one slow plugin call does not stall others.

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace gantry_pdk::detail {

class WorkerPool {
public:
  explicit WorkerPool(unsigned threads);
  ~WorkerPool();  // Runs the tasks already queued, then joins.
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues a task; tasks must not throw (they are wrapped by the caller).
  void submit(std::function<void()> task);

private:
  void run();

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace gantry_pdk::detail
