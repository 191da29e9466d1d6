#pragma once

// The libuv Dispatcher: one uv_loop_t, a mailbox for post() (one uv_async_t + a mutex-protected
// vector drained completely per wake-up, because uv_async_send coalesces), an end-of-iteration
// queue (uv_prepare before the loop blocks + uv_check after I/O callbacks) and the list of
// streams whose queued writes are flushed at the end of the iteration (one uv_write per stream
// and iteration, batching every chunk queued meanwhile).

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "event/uv_handle.h"
#include "gateway/event/dispatcher.h"

namespace gateway::event {

class TcpStreamImpl;

class DispatcherImpl : public Dispatcher {
public:
  DispatcherImpl();
  // Must run on the loop's thread after run() returned (or if it never ran).
  ~DispatcherImpl() override;

  // Dispatcher
  void run() override;
  void exit() override;
  void post(std::function<void()> fn) override;
  MonotonicTime now() const override;
  TimerPtr createTimer(std::function<void()> cb) override;
  void scheduleEndOfIteration(std::function<void()> cb) override;
  StatusOr<ListenerPtr> listenTcp(const std::string& host, uint16_t port, int backlog,
                                  std::function<void(TcpStreamPtr)> onAccept) override;
  ConnectRequestPtr connectTcp(const std::string& host, uint16_t port,
                               std::chrono::milliseconds timeout, size_t writeHighWater,
                               ConnectCallback cb) override;
  ConnectRequestPtr connectUnix(const std::string& path, size_t writeHighWater,
                                ConnectCallback cb) override;

  // Every Dispatcher in the process is a DispatcherImpl (tests that fake the dispatcher do not
  // use the functions of event/ that call this).
  static DispatcherImpl& from(Dispatcher& dispatcher) {
    return static_cast<DispatcherImpl&>(dispatcher);
  }

  uv_loop_t* loop() { return loop_; }
  // The loop's read buffer, handed to every read (reads are consumed synchronously in the read
  // callback, so one buffer per loop suffices and no read allocates).
  static constexpr size_t kReadBufferSize = 64 * 1024;
  char* readBuffer() { return readBuffer_.get(); }

  // Flush `stream`'s write queue at the end of this iteration. The stream calls cancelFlush()
  // when it is destroyed or closed before that.
  void scheduleFlush(TcpStreamImpl* stream);
  void cancelFlush(TcpStreamImpl* stream);

private:
  using AsyncBox = HandleBox<uv_async_t, DispatcherImpl>;
  using PrepareBox = HandleBox<uv_prepare_t, DispatcherImpl>;
  using CheckBox = HandleBox<uv_check_t, DispatcherImpl>;

  void drainPosted();
  void runEndOfIteration();
  void armEndOfIteration();

  uv_loop_t* loop_;
  AsyncBox* async_;
  PrepareBox* prepare_;
  CheckBox* check_;
  std::unique_ptr<char[]> readBuffer_;

  std::mutex postMutex_;
  std::vector<std::function<void()>> posted_;  // Guarded by postMutex_.
  std::atomic<bool> exitRequested_{false};

  std::vector<std::function<void()>> endOfIteration_;
  std::vector<TcpStreamImpl*> flushList_;  // Entries nulled by cancelFlush().
  bool endOfIterationArmed_{false};
};

} // namespace gateway::event
