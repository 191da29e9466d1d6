#include "server/access_log.h"

namespace gateway::server {

namespace {

StatusOr<std::shared_ptr<common::BufferedLogWriter>> openWriter(const std::string& target) {
  if (target == "off" || target.empty()) {
    return std::shared_ptr<common::BufferedLogWriter>();
  }
  auto writer = common::BufferedLogWriter::open(target);
  if (!writer.isOk()) {
    return writer.status();
  }
  return std::shared_ptr<common::BufferedLogWriter>(std::move(writer.value()));
}

} // namespace

StatusOr<std::unique_ptr<AccessLog>> AccessLog::open(const std::string& target) {
  std::unique_ptr<AccessLog> log(new AccessLog);
  Status status = log->reopen(target);
  if (!status.isOk()) {
    return status;
  }
  return log;
}

Status AccessLog::reopen(const std::string& target) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (target == target_ && (writer_ != nullptr || target == "off")) {
      return Status::ok();
    }
  }
  auto writer = openWriter(target);
  if (!writer.isOk()) {
    return writer.status();
  }
  std::shared_ptr<common::BufferedLogWriter> old;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    old = std::move(writer_);
    writer_ = std::move(writer.value());
    target_ = target;
  }
  // `old` flushes and stops when the last worker holding it finishes its write.
  return Status::ok();
}

void AccessLog::write(std::string&& line) {
  std::shared_ptr<common::BufferedLogWriter> writer;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    writer = writer_;
  }
  if (writer != nullptr) {
    writer->write(std::move(line));
  }
}

} // namespace gateway::server
