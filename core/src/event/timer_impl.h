#pragma once

// Timer on a uv_timer_t (one-shot; enable() re-arms).

#include <functional>

#include "event/dispatcher_impl.h"

namespace gateway::event {

class TimerImpl : public Timer {
public:
  TimerImpl(DispatcherImpl& dispatcher, std::function<void()> cb);
  ~TimerImpl() override;

  // Timer
  void enable(std::chrono::milliseconds timeout) override;
  void disable() override;
  bool enabled() const override;

private:
  using Box = HandleBox<uv_timer_t, TimerImpl>;
  static void onTimer(uv_timer_t* handle);

  Box* box_;
  std::function<void()> cb_;
};

} // namespace gateway::event
