#pragma once

// A multi-producer queue drained by one consumer in batches: the consumer takes everything that
// is ready at once. This is how the reply writer packs replies into one ReplyBatch while the
// previous write is in flight (PROTOCOL.md 3.4 "Batching").

#include <condition_variable>
#include <mutex>
#include <vector>

namespace gantry_pdk::detail {

template <class T> class BatchQueue {
public:
  // Returns false (and drops `item`) after close().
  bool push(T item) {
    {
      std::lock_guard lock(mutex_);
      if (closed_) {
        return false;
      }
      items_.push_back(std::move(item));
    }
    ready_.notify_one();
    return true;
  }

  // Blocks until at least one item is ready or the queue is closed; returns everything ready
  // (empty only when closed and drained).
  std::vector<T> popAll() {
    std::unique_lock lock(mutex_);
    ready_.wait(lock, [&] { return !items_.empty() || closed_; });
    std::vector<T> out;
    out.swap(items_);
    return out;
  }

  // Pushes are refused afterwards; popAll still returns what was queued before.
  void close() {
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
    }
    ready_.notify_all();
  }

private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::vector<T> items_;
  bool closed_ = false;
};

}  // namespace gantry_pdk::detail
