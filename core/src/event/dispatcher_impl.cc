#include "event/dispatcher_impl.h"

#include <algorithm>
#include <cstdlib>

#include "event/connect_request_impl.h"
#include "event/listener_impl.h"
#include "event/tcp_stream_impl.h"
#include "event/timer_impl.h"

namespace gateway::event {

DispatcherImpl::DispatcherImpl()
    : loop_(new uv_loop_t), async_(new AsyncBox(this)), prepare_(new PrepareBox(this)),
      check_(new CheckBox(this)), readBuffer_(new char[kReadBufferSize]) {
  // Failing to create a loop (out of fds/memory at startup) is not recoverable.
  if (uv_loop_init(loop_) != 0) {
    std::abort();
  }
  uv_async_init(loop_, &async_->handle, [](uv_async_t* h) {
    if (auto* self = AsyncBox::from(h)->owner) {
      self->drainPosted();
    }
  });
  async_->bind();
  uv_prepare_init(loop_, &prepare_->handle);
  prepare_->bind();
  uv_check_init(loop_, &check_->handle);
  check_->bind();
}

DispatcherImpl::~DispatcherImpl() {
  closeBox(async_);
  closeBox(prepare_);
  closeBox(check_);
  // Let close callbacks run (ours and those of handles closed since run() returned).
  for (int i = 0; i < 4 && uv_loop_alive(loop_) != 0; ++i) {
    uv_run(loop_, UV_RUN_NOWAIT);
  }
  if (uv_loop_close(loop_) == 0) {
    delete loop_;
  }
  // Otherwise a handle outlived its dispatcher (an owner leaked); the loop memory is leaked on
  // purpose rather than freed under a live handle.
}

void DispatcherImpl::run() { uv_run(loop_, UV_RUN_DEFAULT); }

void DispatcherImpl::exit() {
  exitRequested_.store(true);
  uv_async_send(&async_->handle);
}

void DispatcherImpl::post(std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> lock(postMutex_);
    posted_.push_back(std::move(fn));
  }
  uv_async_send(&async_->handle);
}

void DispatcherImpl::drainPosted() {
  std::vector<std::function<void()>> batch;
  {
    std::lock_guard<std::mutex> lock(postMutex_);
    batch.swap(posted_);
  }
  for (auto& fn : batch) {
    fn();
  }
  if (exitRequested_.exchange(false)) {
    // run() returns at the end of this iteration; handles still open are closed by their
    // owners afterwards and their close callbacks run in ~DispatcherImpl.
    uv_stop(loop_);
  }
}

MonotonicTime DispatcherImpl::now() const {
  // uv_now() is milliseconds on CLOCK_MONOTONIC, the clock steady_clock uses on Linux.
  return MonotonicTime(std::chrono::milliseconds(uv_now(loop_)));
}

TimerPtr DispatcherImpl::createTimer(std::function<void()> cb) {
  return std::make_unique<TimerImpl>(*this, std::move(cb));
}

void DispatcherImpl::scheduleEndOfIteration(std::function<void()> cb) {
  endOfIteration_.push_back(std::move(cb));
  armEndOfIteration();
}

void DispatcherImpl::scheduleFlush(TcpStreamImpl* stream) {
  flushList_.push_back(stream);
  armEndOfIteration();
}

void DispatcherImpl::cancelFlush(TcpStreamImpl* stream) {
  std::replace(flushList_.begin(), flushList_.end(), stream, static_cast<TcpStreamImpl*>(nullptr));
}

void DispatcherImpl::armEndOfIteration() {
  if (endOfIterationArmed_) {
    return;
  }
  endOfIterationArmed_ = true;
  // prepare runs before the loop blocks (work scheduled by timers and write completions), check
  // right after I/O callbacks (work scheduled while handling reads and posts).
  uv_prepare_start(&prepare_->handle, [](uv_prepare_t* h) {
    if (auto* self = PrepareBox::from(h)->owner) {
      self->runEndOfIteration();
    }
  });
  uv_check_start(&check_->handle, [](uv_check_t* h) {
    if (auto* self = CheckBox::from(h)->owner) {
      self->runEndOfIteration();
    }
  });
}

void DispatcherImpl::runEndOfIteration() {
  // Callbacks and flushes may schedule more work; keep going until both queues are empty.
  while (!endOfIteration_.empty() || !flushList_.empty()) {
    std::vector<std::function<void()>> batch;
    batch.swap(endOfIteration_);
    for (auto& cb : batch) {
      cb();
    }
    // Index loop: a flush may call user code that destroys other streams of the list
    // (cancelFlush nulls their entries) or schedules new flushes (appended, seen by size()).
    for (size_t i = 0; i < flushList_.size(); ++i) {
      TcpStreamImpl* stream = flushList_[i];
      flushList_[i] = nullptr;
      if (stream != nullptr) {
        stream->flushNow();
      }
    }
    flushList_.clear();
  }
  endOfIterationArmed_ = false;
  uv_prepare_stop(&prepare_->handle);
  uv_check_stop(&check_->handle);
}

StatusOr<ListenerPtr> DispatcherImpl::listenTcp(const std::string& host, uint16_t port,
                                                int backlog,
                                                std::function<void(TcpStreamPtr)> onAccept) {
  auto listener = std::make_unique<ListenerImpl>(*this, std::move(onAccept));
  Status status = listener->open(host, port, backlog);
  if (!status.isOk()) {
    return status;
  }
  return ListenerPtr(std::move(listener));
}

ConnectRequestPtr DispatcherImpl::connectTcp(const std::string& host, uint16_t port,
                                             std::chrono::milliseconds timeout,
                                             size_t writeHighWater, ConnectCallback cb) {
  auto request = std::make_unique<ConnectRequestImpl>(*this, host, port, timeout, writeHighWater,
                                                      std::move(cb));
  request->start();
  return request;
}

DispatcherPtr createDispatcher() { return std::make_unique<DispatcherImpl>(); }

} // namespace gateway::event
