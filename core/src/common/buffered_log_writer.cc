#include "common/buffered_log_writer.h"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <unistd.h>

namespace gateway::common {

StatusOr<std::unique_ptr<BufferedLogWriter>> BufferedLogWriter::open(const std::string& target,
                                                                     Options options) {
  int fd = -1;
  bool owns = false;
  if (target == "stdout") {
    fd = STDOUT_FILENO;
  } else if (target == "stderr") {
    fd = STDERR_FILENO;
  } else {
    fd = ::open(target.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
      return invalidArgument("log file " + target + ": " + std::strerror(errno));
    }
    owns = true;
  }
  return std::unique_ptr<BufferedLogWriter>(new BufferedLogWriter(fd, owns, options));
}

BufferedLogWriter::BufferedLogWriter(int fd, bool ownsFd, Options options)
    : fd_(fd), ownsFd_(ownsFd), options_(options) {
  thread_ = std::thread([this] { run(); });
}

BufferedLogWriter::~BufferedLogWriter() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_one();
  thread_.join();
  if (ownsFd_) {
    ::close(fd_);
  }
}

void BufferedLogWriter::write(std::string&& line) {
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (buffer_.size() + line.size() + 1 > options_.maxBufferBytes) {
      dropped_.fetch_add(1);
      return;
    }
    if (buffer_.empty() && !line.empty() && line.back() == '\n') {
      buffer_.swap(line);  // Common case with an idle writer: no copy.
    } else {
      buffer_.append(line);
    }
    if (buffer_.empty() || buffer_.back() != '\n') {
      buffer_ += '\n';
    }
    ++appended_;
    wake = buffer_.size() >= options_.flushBytes;
  }
  if (wake) {
    wake_.notify_one();
  }
}

void BufferedLogWriter::flush() {
  std::unique_lock<std::mutex> lock(mutex_);
  uint64_t target = appended_;
  flushRequested_ = true;
  wake_.notify_one();
  flushed_.wait(lock, [&] { return written_ >= target || stop_; });
}

void BufferedLogWriter::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    wake_.wait_for(lock, options_.flushInterval, [&] {
      return stop_ || flushRequested_ || buffer_.size() >= options_.flushBytes;
    });
    flushRequested_ = false;
    std::string out;
    out.swap(buffer_);
    uint64_t generation = appended_;
    bool stopping = stop_;
    if (!out.empty()) {
      lock.unlock();
      writeOut(out);
      lock.lock();
    }
    written_ = generation;
    flushed_.notify_all();
    if (stopping && buffer_.empty()) {
      return;
    }
  }
}

void BufferedLogWriter::writeOut(const std::string& data) {
  const char* p = data.data();
  size_t left = data.size();
  while (left > 0) {
    ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return;  // Disk full or closed pipe: the lines are lost; nothing better to do here.
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
}

} // namespace gateway::common
