#include "common/logging.h"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <mutex>

#include <fcntl.h>
#include <unistd.h>

namespace gateway::log {

namespace {

struct ErrorLog {
  std::mutex mutex;
  int fd{STDERR_FILENO};   // Guarded by mutex.
  bool ownsFd{false};      // Guarded by mutex.
  std::atomic<Level> level{Level::Notice};
};

ErrorLog& errorLog() {
  static ErrorLog* log = new ErrorLog;  // Never destroyed: usable from any static destructor.
  return *log;
}

void writeAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return;  // Nowhere to report a failing error log.
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
}

} // namespace

const char* levelName(Level level) {
  switch (level) {
  case Level::Debug:
    return "debug";
  case Level::Info:
    return "info";
  case Level::Notice:
    return "notice";
  case Level::Warn:
    return "warn";
  case Level::Error:
    return "error";
  case Level::Crit:
    return "crit";
  }
  return "?";
}

std::optional<Level> parseLevel(std::string_view name) {
  for (Level l : {Level::Debug, Level::Info, Level::Notice, Level::Warn, Level::Error,
                  Level::Crit}) {
    if (name == levelName(l)) {
      return l;
    }
  }
  return std::nullopt;
}

Status setOutput(const std::string& target) {
  int fd = -1;
  bool owns = false;
  if (target == "stderr") {
    fd = STDERR_FILENO;
  } else if (target == "stdout") {
    fd = STDOUT_FILENO;
  } else {
    fd = ::open(target.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
      return invalidArgument("error log " + target + ": " + std::strerror(errno));
    }
    owns = true;
  }
  ErrorLog& log = errorLog();
  std::lock_guard<std::mutex> lock(log.mutex);
  if (log.ownsFd && log.fd != fd) {
    ::close(log.fd);
  }
  log.fd = fd;
  log.ownsFd = owns;
  return Status::ok();
}

void setLevel(Level level) { errorLog().level.store(level); }

Level level() { return errorLog().level.load(std::memory_order_relaxed); }

std::string formatTimestamp(std::chrono::system_clock::time_point when) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(when.time_since_epoch());
  std::time_t secs = static_cast<std::time_t>(ms.count() / 1000);
  int millis = static_cast<int>(ms.count() % 1000);
  if (millis < 0) {
    millis += 1000;
    --secs;
  }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
  return buf;
}

std::string formatLine(std::chrono::system_clock::time_point when, Level level,
                       std::string_view message) {
  std::string line = formatTimestamp(when);
  line += " [";
  line += levelName(level);
  line += "] ";
  line.reserve(line.size() + message.size());
  for (char c : message) {
    if (c == '\n') {
      line += "\\n";
    } else if (c != '\r') {
      line += c;
    }
  }
  return line;
}

void write(Level level, std::string_view message) {
  if (!enabled(level)) {
    return;
  }
  std::string line = formatLine(std::chrono::system_clock::now(), level, message);
  line += '\n';
  ErrorLog& log = errorLog();
  std::lock_guard<std::mutex> lock(log.mutex);
  writeAll(log.fd, line.data(), line.size());
}

} // namespace gateway::log
