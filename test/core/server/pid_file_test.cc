#include <csignal>
#include <fstream>

#include <unistd.h>

#include <catch2/catch.hpp>

#include "core/common/temp_dir.h"
#include "server/pid_file.h"

namespace gateway::server {
namespace {

TEST_CASE("A pid file round-trips and is removed", "[server][pidfile]") {
  test::TempDir dir;
  std::string path = dir.file("gantry.pid");
  REQUIRE(writePidFile(path, 4242).isOk());
  CHECK(test::readFile(path) == "4242\n");
  auto pid = readPidFile(path);
  REQUIRE(pid.isOk());
  CHECK(pid.value() == 4242);
  removePidFile(path);
  auto missing = readPidFile(path);
  REQUIRE_FALSE(missing.isOk());
  CHECK(missing.status().code() == StatusCode::NotFound);
  CHECK(missing.status().message().find(path) != std::string::npos);
}

TEST_CASE("A pid file without a pid is rejected", "[server][pidfile]") {
  test::TempDir dir;
  std::string path = dir.file("bad.pid");
  std::ofstream(path) << "not-a-pid\n";
  auto pid = readPidFile(path);
  REQUIRE_FALSE(pid.isOk());
  CHECK(pid.status().message().find("no valid pid") != std::string::npos);
}

TEST_CASE("signalPidFile signals the process in the file", "[server][pidfile]") {
  test::TempDir dir;
  std::string path = dir.file("self.pid");
  REQUIRE(writePidFile(path, static_cast<int>(::getpid())).isOk());
  CHECK(signalPidFile(path, 0).isOk());  // Signal 0: existence check only.
  CHECK(signalPidFile(dir.file("missing.pid"), 0).code() == StatusCode::NotFound);
}

} // namespace
} // namespace gateway::server
