#pragma once

// The pid file of `gantry start -p FILE`, read by `gantry reload -p FILE`.

#include <string>

#include "gateway/common/status.h"

namespace gateway::server {

// Writes "<pid>\n" atomically (temporary file + rename).
Status writePidFile(const std::string& path, int pid);
// Reads the pid; NotFound if the file is missing, InvalidArgument if it holds no valid pid.
StatusOr<int> readPidFile(const std::string& path);
void removePidFile(const std::string& path);

// `gantry reload`: SIGHUP to the pid in the file. Errors say what is wrong (missing file, stale
// pid, no permission).
Status signalPidFile(const std::string& path, int signum);

} // namespace gateway::server
