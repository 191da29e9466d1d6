#include "event/timer_impl.h"

namespace gateway::event {

TimerImpl::TimerImpl(DispatcherImpl& dispatcher, std::function<void()> cb)
    : box_(new Box(this)), cb_(std::move(cb)) {
  uv_timer_init(dispatcher.loop(), &box_->handle);
  box_->bind();
}

TimerImpl::~TimerImpl() { closeBox(box_); }

void TimerImpl::enable(std::chrono::milliseconds timeout) {
  uint64_t ms = timeout.count() > 0 ? static_cast<uint64_t>(timeout.count()) : 0;
  uv_timer_start(&box_->handle, &TimerImpl::onTimer, ms, 0);
}

void TimerImpl::disable() { uv_timer_stop(&box_->handle); }

bool TimerImpl::enabled() const {
  return uv_is_active(reinterpret_cast<const uv_handle_t*>(&box_->handle)) != 0;
}

void TimerImpl::onTimer(uv_timer_t* handle) {
  if (TimerImpl* self = Box::from(handle)->owner) {
    // The callback may destroy the timer; nothing touches `self` afterwards.
    self->cb_();
  }
}

} // namespace gateway::event
