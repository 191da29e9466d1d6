// event::ProcessOptions::dieWithParent (used by the plugin server supervisor): the same behaviour
// as a uv_spawn'ed child (lines, exit status, kill, spawn errors), and the child dies when the
// process that spawned it is SIGKILLed. (Kept with the plugin tests: the supervisor is its user.)

#include <csignal>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "core/event/test_util.h"
#include "gateway/event/process.h"

using namespace std::chrono_literals;

namespace gateway::event {
namespace {

using Recorder = test::ProcessRecorder;

// True when `pid` is gone or a zombie (nobody may reap it in a container without an init).
bool deadOrZombie(pid_t pid) {
  if (::kill(pid, 0) != 0) {
    return true;
  }
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  const size_t paren = line.rfind(')');
  return paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] == 'Z';
}

} // namespace

TEST_CASE("dieWithParent: lines, exit status, environment and cwd", "[process][pdeathsig]") {
  auto dispatcher = createDispatcher();
  Recorder rec;
  ProcessOptions options;
  options.dieWithParent = true;
  options.argv = {"sh", "-c", "echo one; echo oops >&2; echo \"$GW_TEST_VAR\"; pwd; "
                              "printf partial; exit 3"};
  options.extraEnv = {{"GW_TEST_VAR", "from-env"}};
  options.workingDirectory = "/";
  auto process = spawnProcess(*dispatcher, options, rec);
  REQUIRE(process.isOk());
  CHECK(process.value()->pid() > 0);
  REQUIRE(test::runUntil(*dispatcher, [&] { return rec.exited; }));
  CHECK(rec.out == std::vector<std::string>{"one", "from-env", "/", "partial"});
  CHECK(rec.err == std::vector<std::string>{"oops"});
  CHECK(rec.status == 3);
  CHECK(rec.signal == 0);
  CHECK_FALSE(process.value()->running());
}

TEST_CASE("dieWithParent: kill and signal dispositions reset", "[process][pdeathsig]") {
  // gantry ignores SIGPIPE; the child must not inherit that (nor SIGTERM handling).
  auto previous = std::signal(SIGTERM, SIG_IGN);
  auto dispatcher = createDispatcher();
  Recorder rec;
  ProcessOptions options;
  options.dieWithParent = true;
  options.argv = {"sh", "-c", "echo ready; exec sleep 30"};
  auto process = spawnProcess(*dispatcher, options, rec);
  REQUIRE(process.isOk());
  REQUIRE(test::runUntil(*dispatcher, [&] { return !rec.out.empty(); }));
  REQUIRE(process.value()->kill(SIGTERM).isOk());
  REQUIRE(test::runUntil(*dispatcher, [&] { return rec.exited; }));
  CHECK(rec.signal == SIGTERM);
  CHECK_FALSE(process.value()->kill(SIGTERM).isOk());  // Not running any more.
  std::signal(SIGTERM, previous);
}

TEST_CASE("dieWithParent: a missing program is a spawn error", "[process][pdeathsig]") {
  auto dispatcher = createDispatcher();
  Recorder rec;
  ProcessOptions options;
  options.dieWithParent = true;
  options.argv = {"/nonexistent/gantry-no-such-program"};
  CHECK_FALSE(spawnProcess(*dispatcher, options, rec).isOk());
  options.argv = {"gantry-no-such-program-in-path"};
  CHECK_FALSE(spawnProcess(*dispatcher, options, rec).isOk());
  options.argv = {"/etc/hostname"};  // Not executable: exec fails in the child.
  CHECK_FALSE(spawnProcess(*dispatcher, options, rec).isOk());
}

TEST_CASE("dieWithParent: the child dies when its parent is SIGKILLed", "[process][pdeathsig]") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const pid_t parent = ::fork();
  REQUIRE(parent >= 0);
  if (parent == 0) {
    // The "gantry": spawns a long sleeper and reports its pid, then waits to be killed.
    ::close(fds[0]);
    auto dispatcher = createDispatcher();
    Recorder rec;
    ProcessOptions options;
    options.dieWithParent = true;
    options.argv = {"sleep", "60"};
    auto process = spawnProcess(*dispatcher, options, rec);
    int pid = process.isOk() ? process.value()->pid() : -1;
    ssize_t n = ::write(fds[1], &pid, sizeof(pid));
    (void)n;
    ::pause();
    ::_exit(0);
  }
  ::close(fds[1]);
  int child = -1;
  REQUIRE(::read(fds[0], &child, sizeof(child)) == static_cast<ssize_t>(sizeof(child)));
  ::close(fds[0]);
  REQUIRE(child > 0);
  CHECK_FALSE(deadOrZombie(child));
  ::kill(parent, SIGKILL);
  int status = 0;
  ::waitpid(parent, &status, 0);
  bool dead = false;
  for (int i = 0; i < 100 && !dead; ++i) {
    dead = deadOrZombie(child);
    if (!dead) {
      std::this_thread::sleep_for(20ms);
    }
  }
  CHECK(dead);
  if (!dead) {
    ::kill(child, SIGKILL);
  }
}

} // namespace gateway::event
