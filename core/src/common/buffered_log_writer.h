#pragma once

// A line-oriented log writer that never blocks its callers on the disk: write() appends to a
// mutex-protected buffer, and a background thread writes the buffer out every flush interval, or
// sooner once it passes kFlushBytes. If the output cannot keep up and the buffer reaches
// maxBufferBytes, further lines are dropped and counted (droppedLines()). Used for the access log.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "gateway/common/status.h"

namespace gateway::common {

class BufferedLogWriter {
public:
  struct Options {
    std::chrono::milliseconds flushInterval{100};
    size_t flushBytes{64 * 1024};
    size_t maxBufferBytes{16 * 1024 * 1024};
  };

  // Opens "stdout", "stderr" or a file path (created if missing, appended to) and starts the
  // writer thread.
  static StatusOr<std::unique_ptr<BufferedLogWriter>> open(const std::string& target,
                                                           Options options);
  static StatusOr<std::unique_ptr<BufferedLogWriter>> open(const std::string& target) {
    return open(target, Options{});
  }
  // Writes what is buffered, stops the thread, closes a file it opened.
  ~BufferedLogWriter();

  BufferedLogWriter(const BufferedLogWriter&) = delete;
  BufferedLogWriter& operator=(const BufferedLogWriter&) = delete;

  // Thread-safe. Appends `line` and a newline (unless it already ends with one).
  void write(std::string&& line);
  // Thread-safe. Returns once everything written before the call is handed to the OS.
  void flush();
  uint64_t droppedLines() const { return dropped_.load(); }

private:
  BufferedLogWriter(int fd, bool ownsFd, Options options);
  void run();
  void writeOut(const std::string& data);

  const int fd_;
  const bool ownsFd_;
  const Options options_;
  std::mutex mutex_;
  std::condition_variable wake_;      // Writer thread: data to flush or stop.
  std::condition_variable flushed_;   // flush(): a generation was written.
  std::string buffer_;                // Guarded by mutex_.
  uint64_t appended_{0};              // Guarded: generations appended...
  uint64_t written_{0};               // ...and written out.
  bool flushRequested_{false};        // Guarded.
  bool stop_{false};                  // Guarded.
  std::atomic<uint64_t> dropped_{0};
  std::thread thread_;
};

} // namespace gateway::common
