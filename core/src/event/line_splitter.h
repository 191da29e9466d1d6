#pragma once

// Splits a byte stream into lines (without "\n" or "\r\n"). A line longer than kMaxLine is
// delivered in pieces of kMaxLine bytes so a child cannot make us buffer without bound.

#include <string>
#include <string_view>

namespace gateway::event {

class LineSplitter {
public:
  static constexpr size_t kMaxLine = 64 * 1024;

  // Calls emit(std::string_view) for each complete line in `data`. `emit` returns false to stop
  // (the owner was destroyed); feed() then returns false at once.
  template <typename Emit> bool feed(std::string_view data, Emit&& emit) {
    while (!data.empty()) {
      size_t nl = data.find('\n');
      if (nl == std::string_view::npos) {
        partial_.append(data);
        while (partial_.size() >= kMaxLine) {
          std::string piece = partial_.substr(0, kMaxLine);
          partial_.erase(0, kMaxLine);
          if (!emit(std::string_view(piece))) {
            return false;
          }
        }
        return true;
      }
      partial_.append(data.substr(0, nl));
      data.remove_prefix(nl + 1);
      std::string line;
      line.swap(partial_);
      if (!line.empty() && line.back() == '\r') {
        line.pop_back();
      }
      if (!emit(std::string_view(line))) {
        return false;
      }
    }
    return true;
  }

  // Delivers an unterminated last line, if any.
  template <typename Emit> void finish(Emit&& emit) {
    if (!partial_.empty()) {
      std::string line;
      line.swap(partial_);
      emit(std::string_view(line));
    }
  }

private:
  std::string partial_;
};

} // namespace gateway::event
