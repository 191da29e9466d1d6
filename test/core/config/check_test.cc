// runCheck: the `gantry check -c FILE` entry point.

#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>

#include <unistd.h>

#include "config/check.h"

namespace gateway::config::test {
namespace {

std::string writeTemp(const std::string& text) {
  char name[] = "/tmp/gantry-check-XXXXXX";
  int fd = mkstemp(name);
  REQUIRE(fd >= 0);
  close(fd);
  std::ofstream(name) << text;
  return name;
}

TEST_CASE("runCheck prints ok and returns 0 for a valid file") {
  std::string path = writeTemp("_format_version: \"3.0\"\nservices: [{host: a.com}]\n");
  std::ostringstream out;
  CHECK(runCheck(path, out) == 0);
  CHECK(out.str() == path + ": ok\n");
  std::remove(path.c_str());
}

TEST_CASE("runCheck prints one line per error and returns 1") {
  std::string path = writeTemp("_format_version: \"3.0\"\nservices: [{port: 0}]\n");
  std::ostringstream out;
  CHECK(runCheck(path, out) == 1);
  CHECK(out.str() == path + ": services[0].host: required field missing\n" + path +
                         ": services[0].port: value should be between 1 and 65535\n");
  std::remove(path.c_str());
}

TEST_CASE("runCheck reports a missing file") {
  std::ostringstream out;
  CHECK(runCheck("/nonexistent.yaml", out) == 1);
  CHECK(out.str() == "/nonexistent.yaml: cannot open file '/nonexistent.yaml'\n");
}

} // namespace
} // namespace gateway::config::test
