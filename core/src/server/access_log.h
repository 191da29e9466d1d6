#pragma once

// The process's AccessLogSink: every worker writes here; lines go to a BufferedLogWriter (a
// background thread does the I/O) or nowhere ("off"). The target can be replaced on reload
// while workers keep writing (they hold a reference to this object, which never changes).

#include <memory>
#include <mutex>
#include <string>

#include "common/buffered_log_writer.h"
#include "gateway/proxy/worker.h"

namespace gateway::server {

class AccessLog : public proxy::AccessLogSink {
public:
  // Opens `target`: "stdout", "stderr", "off" or a file path.
  static StatusOr<std::unique_ptr<AccessLog>> open(const std::string& target);
  // Switches to a new target (reload); no-op if unchanged. On error the old target stays.
  Status reopen(const std::string& target);

  // proxy::AccessLogSink
  void write(std::string&& line) override;

private:
  AccessLog() = default;

  std::mutex mutex_;
  std::string target_;                               // Guarded by mutex_.
  std::shared_ptr<common::BufferedLogWriter> writer_; // Guarded; null when "off".
};

} // namespace gateway::server
