#include <csignal>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "core/event/test_util.h"
#include "gateway/event/process.h"

using namespace std::chrono_literals;

namespace gateway::event {
namespace {

using Recorder = test::ProcessRecorder;

TEST_CASE("spawnProcess captures stdout/stderr lines and the exit status", "[event][process]") {
  auto dispatcher = createDispatcher();
  Recorder rec;
  ProcessOptions options;
  options.argv = {"sh", "-c", "echo one; echo two; echo oops >&2; printf 'partial'; "
                              "echo \"$GW_TEST_VAR\"; exit 3"};
  options.extraEnv = {{"GW_TEST_VAR", "from-env"}};
  auto process = spawnProcess(*dispatcher, options, rec);
  REQUIRE(process.isOk());
  CHECK(process.value()->pid() > 0);
  REQUIRE(test::runUntil(*dispatcher, [&] { return rec.exited; }));
  CHECK(rec.out == std::vector<std::string>{"one", "two", "partialfrom-env"});
  CHECK(rec.err == std::vector<std::string>{"oops"});
  CHECK(rec.status == 3);
  CHECK(rec.signal == 0);
  CHECK_FALSE(process.value()->running());
}

TEST_CASE("An unterminated last line is delivered before onExit", "[event][process]") {
  auto dispatcher = createDispatcher();
  Recorder rec;
  ProcessOptions options;
  options.argv = {"printf", "no newline"};
  auto process = spawnProcess(*dispatcher, options, rec);
  REQUIRE(process.isOk());
  REQUIRE(test::runUntil(*dispatcher, [&] { return rec.exited; }));
  CHECK(rec.out == std::vector<std::string>{"no newline"});
  CHECK(rec.status == 0);
}

TEST_CASE("kill() terminates a child; onExit reports the signal", "[event][process]") {
  auto dispatcher = createDispatcher();
  Recorder rec;
  ProcessOptions options;
  options.argv = {"sleep", "30"};
  auto process = spawnProcess(*dispatcher, options, rec);
  REQUIRE(process.isOk());
  CHECK(process.value()->running());
  REQUIRE(process.value()->kill(SIGTERM).isOk());
  REQUIRE(test::runUntil(*dispatcher, [&] { return rec.exited; }));
  CHECK(rec.signal == SIGTERM);
}

TEST_CASE("Spawning a missing program fails with NotFound", "[event][process]") {
  auto dispatcher = createDispatcher();
  Recorder rec;
  ProcessOptions options;
  options.argv = {"/nonexistent/gantry-plugin"};
  auto process = spawnProcess(*dispatcher, options, rec);
  REQUIRE_FALSE(process.isOk());
  CHECK(process.status().code() == StatusCode::NotFound);
  bool waited = false;
  auto t = dispatcher->createTimer([&] { waited = true; });
  t->enable(10ms);
  test::runUntil(*dispatcher, [&] { return waited; });
  CHECK_FALSE(rec.exited);
}

TEST_CASE("watchSignal delivers a raised signal on the loop thread", "[event][signal]") {
  auto dispatcher = createDispatcher();
  int delivered = 0;
  auto watcher = watchSignal(*dispatcher, SIGUSR1, [&] { ++delivered; });
  std::raise(SIGUSR1);
  REQUIRE(test::runUntil(*dispatcher, [&] { return delivered == 1; }));
  std::raise(SIGUSR1);
  REQUIRE(test::runUntil(*dispatcher, [&] { return delivered == 2; }));
}

} // namespace
} // namespace gateway::event
