#include "server/pid_file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include <signal.h>
#include <unistd.h>

namespace gateway::server {

Status writePidFile(const std::string& path, int pid) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) {
      return invalidArgument("pid file " + path + ": cannot write " + tmp + ": " +
                             std::strerror(errno));
    }
    out << pid << "\n";
    if (!out.flush()) {
      return internalError("pid file " + path + ": write failed");
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    std::remove(tmp.c_str());
    return invalidArgument("pid file " + path + ": " + std::strerror(err));
  }
  return Status::ok();
}

StatusOr<int> readPidFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return Status(StatusCode::NotFound, "pid file " + path + ": " + std::strerror(errno) +
                                            " (is gantry running with -p " + path + "?)");
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\r')) {
    text.pop_back();
  }
  char* end = nullptr;
  long pid = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || end == nullptr || *end != '\0' || pid <= 0 || pid > 0x7fffffff) {
    return invalidArgument("pid file " + path + ": no valid pid in '" + text + "'");
  }
  return static_cast<int>(pid);
}

void removePidFile(const std::string& path) {
  if (!path.empty()) {
    std::remove(path.c_str());
  }
}

Status signalPidFile(const std::string& path, int signum) {
  auto pid = readPidFile(path);
  if (!pid.isOk()) {
    return pid.status();
  }
  if (::kill(pid.value(), signum) != 0) {
    int err = errno;
    if (err == ESRCH) {
      return Status(StatusCode::NotFound, "no process with pid " + std::to_string(pid.value()) +
                                              " (stale pid file " + path + "?)");
    }
    return internalError("signal pid " + std::to_string(pid.value()) + ": " +
                         std::strerror(err));
  }
  return Status::ok();
}

} // namespace gateway::server
