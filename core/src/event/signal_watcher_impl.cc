// watchSignal on a uv_signal_t: libuv's signal handler only writes to a pipe, and the callback
// runs on the dispatcher's thread like any other.

#include "event/dispatcher_impl.h"
#include "gateway/event/process.h"

namespace gateway::event {

namespace {

class SignalWatcherImpl : public SignalWatcher {
public:
  using Box = HandleBox<uv_signal_t, SignalWatcherImpl>;

  SignalWatcherImpl(DispatcherImpl& dispatcher, int signum, std::function<void()> cb)
      : box_(new Box(this)), cb_(std::move(cb)) {
    uv_signal_init(dispatcher.loop(), &box_->handle);
    box_->bind();
    uv_signal_start(
        &box_->handle,
        [](uv_signal_t* h, int) {
          if (SignalWatcherImpl* self = Box::from(h)->owner) {
            self->cb_();  // May destroy the watcher.
          }
        },
        signum);
    // A signal watcher alone does not keep the loop running (like libuv's own advice for
    // process-wide signal handling): run() returns once the real work is done.
    uv_unref(box_->raw());
  }

  ~SignalWatcherImpl() override { closeBox(box_); }

private:
  Box* box_;
  std::function<void()> cb_;
};

} // namespace

SignalWatcherPtr watchSignal(Dispatcher& dispatcher, int signum, std::function<void()> cb) {
  return std::make_unique<SignalWatcherImpl>(DispatcherImpl::from(dispatcher), signum,
                                             std::move(cb));
}

} // namespace gateway::event
