#include "plugin/log.h"

#include <cstdio>
#include <mutex>

namespace gateway::plugin {

LogFn makeLogFn(LogFn fn) {
  if (fn) {
    return fn;
  }
  return [](std::string_view level, std::string_view message) {
    static std::mutex mu;
    std::lock_guard<std::mutex> lock(mu);
    std::fprintf(stderr, "[%.*s] %.*s\n", static_cast<int>(level.size()), level.data(),
                 static_cast<int>(message.size()), message.data());
  };
}

} // namespace gateway::plugin
