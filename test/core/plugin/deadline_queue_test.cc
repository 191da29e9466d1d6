#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "core/event/test_util.h"
#include "plugin/deadline_queue.h"

using namespace gateway;
using namespace gateway::plugin;
using namespace std::chrono_literals;
using gateway::event::test::runUntil;

namespace {
struct Item : DeadlineQueue::Entry {
  std::string name;
};

} // namespace

TEST_CASE("deadline queue expires entries in deadline order across timeouts", "[plugin]") {
  auto loop = event::createDispatcher();
  std::vector<std::string> expired;
  DeadlineQueue q(*loop, [&](DeadlineQueue::Entry& e) {
    expired.push_back(static_cast<Item&>(e).name);
  });
  Item a, b, c, d;
  a.name = "a";
  b.name = "b";
  c.name = "c";
  d.name = "d";
  q.arm(a, 60ms);
  q.arm(b, 20ms);
  q.arm(c, 60ms);
  q.arm(d, 40ms);
  q.disarm(c);
  REQUIRE_FALSE(DeadlineQueue::armed(c));
  REQUIRE(DeadlineQueue::armed(a));
  REQUIRE(runUntil(*loop, [&] { return expired.size() == 3; }));
  REQUIRE(expired == std::vector<std::string>{"b", "d", "a"});
  REQUIRE_FALSE(DeadlineQueue::armed(a));
}

TEST_CASE("deadline queue: re-arming moves an entry, callbacks may touch others", "[plugin]") {
  auto loop = event::createDispatcher();
  std::vector<std::string> expired;
  Item a, b, c;
  a.name = "a";
  b.name = "b";
  c.name = "c";
  DeadlineQueue* queue = nullptr;
  DeadlineQueue q(*loop, [&](DeadlineQueue::Entry& e) {
    auto& item = static_cast<Item&>(e);
    expired.push_back(item.name);
    if (item.name == "a") {
      queue->disarm(b);      // b never expires
      queue->arm(a, 10ms);   // a comes back once more, renamed
      a.name = "a2";
    }
  });
  queue = &q;
  q.arm(a, 10ms);
  q.arm(b, 30ms);
  q.arm(c, 1000ms);
  q.arm(c, 50ms);  // re-armed sooner
  REQUIRE(runUntil(*loop, [&] { return expired.size() == 3; }));
  REQUIRE(expired == std::vector<std::string>{"a", "a2", "c"});
}
