#include <catch2/catch.hpp>

#include "server/cli.h"

namespace gateway::server {
namespace {

TEST_CASE("start takes -c and an optional -p, in short and long forms", "[server][cli]") {
  auto a = parseCli({"start", "-c", "gw.yaml", "-p", "gw.pid"});
  REQUIRE(a.isOk());
  CHECK(a->command == Command::Start);
  CHECK(a->configPath == "gw.yaml");
  CHECK(a->pidFile == "gw.pid");

  auto b = parseCli({"start", "--config=gw.yaml"});
  REQUIRE(b.isOk());
  CHECK(b->configPath == "gw.yaml");
  CHECK(b->pidFile.empty());

  auto c = parseCli({"start", "--pid", "x.pid", "--config", "y.yaml"});
  REQUIRE(c.isOk());
  CHECK(c->configPath == "y.yaml");
  CHECK(c->pidFile == "x.pid");
}

TEST_CASE("check needs -c, reload needs -p", "[server][cli]") {
  auto check = parseCli({"check", "-c", "f.yaml"});
  REQUIRE(check.isOk());
  CHECK(check->command == Command::Check);
  auto reload = parseCli({"reload", "-p", "f.pid"});
  REQUIRE(reload.isOk());
  CHECK(reload->command == Command::Reload);

  auto noConfig = parseCli({"check"});
  REQUIRE_FALSE(noConfig.isOk());
  CHECK(noConfig.status().message() == "'check' needs -c FILE");
  CHECK_FALSE(parseCli({"start", "-p", "x"}).isOk());
  auto noPid = parseCli({"reload", "-c", "x"});
  REQUIRE_FALSE(noPid.isOk());
  CHECK(noPid.status().message() == "'reload' needs -p PIDFILE");
}

TEST_CASE("version and help need no option", "[server][cli]") {
  CHECK(parseCli({"version"})->command == Command::Version);
  CHECK(parseCli({"--version"})->command == Command::Version);
  CHECK(parseCli({"help"})->command == Command::Help);
  CHECK(parseCli({"start", "--help"})->command == Command::Help);
  CHECK(usageText().find("gantry start  -c FILE [-p PIDFILE]") != std::string::npos);
}

TEST_CASE("Bad command lines are rejected with a message", "[server][cli]") {
  CHECK(parseCli({}).status().message() == "no command given");
  CHECK(parseCli({"serve"}).status().message() == "unknown command 'serve'");
  CHECK(parseCli({"start", "-c"}).status().message() == "-c needs a value");
  CHECK(parseCli({"start", "-c", "a", "extra"}).status().message() ==
        "unexpected argument 'extra' for 'start'");
  CHECK(parseCli({"start", "--config="}).status().message() ==
        "--config= needs a non-empty value");
}

} // namespace
} // namespace gateway::server
