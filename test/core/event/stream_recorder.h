#pragma once

// A StreamCallbacks that records everything, for event tests.

#include <functional>
#include <string>

#include "gateway/event/dispatcher.h"

namespace gateway::event::test {

struct StreamRecorder : StreamCallbacks {
  std::string data;
  bool eof{false};
  bool closed{false};
  Status closeReason;
  int drained{0};
  std::function<void(std::string_view)> onDataHook;

  void onData(std::string_view bytes) override {
    data.append(bytes);
    if (onDataHook) {
      onDataHook(bytes);
    }
  }
  void onEof() override { eof = true; }
  void onClose(const Status& reason) override {
    closed = true;
    closeReason = reason;
  }
  void onWriteDrained() override { ++drained; }
};

} // namespace gateway::event::test
