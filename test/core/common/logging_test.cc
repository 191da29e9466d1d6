#include <regex>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "common/logging.h"
#include "core/common/temp_dir.h"

namespace gateway::log {
namespace {

TEST_CASE("Log lines carry a UTC millisecond timestamp and the level", "[common][log]") {
  auto when = std::chrono::system_clock::time_point(std::chrono::milliseconds(1795474800123LL));
  CHECK(formatLine(when, Level::Warn, "message") == "2026-11-23T23:00:00.123Z [warn] message");
  CHECK(formatLine(when, Level::Crit, "a\nb") == "2026-11-23T23:00:00.123Z [crit] a\\nb");
}

TEST_CASE("Levels parse from their config names", "[common][log]") {
  CHECK(parseLevel("debug") == Level::Debug);
  CHECK(parseLevel("notice") == Level::Notice);
  CHECK(parseLevel("crit") == Level::Crit);
  CHECK_FALSE(parseLevel("verbose").has_value());
}

TEST_CASE("The error log writes to a file, filters by level, and never interleaves lines",
          "[common][log]") {
  test::TempDir dir;
  std::string path = dir.file("error.log");
  REQUIRE(setOutput(path).isOk());
  setLevel(Level::Notice);
  info("hidden");
  notice("shown");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t] {
      for (int i = 0; i < 200; ++i) {
        warn("thread " + std::to_string(t) + " line " + std::to_string(i));
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  REQUIRE(setOutput("stderr").isOk());
  std::string content = test::readFile(path);
  CHECK(content.find("hidden") == std::string::npos);
  CHECK(content.find("[notice] shown\n") != std::string::npos);
  std::regex line(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \[(notice|warn)\] [a-z0-9 ]+)");
  size_t count = 0;
  size_t start = 0;
  while (start < content.size()) {
    size_t end = content.find('\n', start);
    REQUIRE(end != std::string::npos);
    CHECK(std::regex_match(content.substr(start, end - start), line));
    start = end + 1;
    ++count;
  }
  CHECK(count == 801);
}

TEST_CASE("setOutput reports a file it cannot open", "[common][log]") {
  Status status = setOutput("/nonexistent-dir/error.log");
  CHECK_FALSE(status.isOk());
  CHECK(status.message().find("/nonexistent-dir/error.log") != std::string::npos);
}

} // namespace
} // namespace gateway::log
