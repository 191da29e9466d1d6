#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "core/event/test_util.h"
#include "gateway/event/dispatcher.h"

using namespace std::chrono_literals;

namespace gateway::event {
namespace {

TEST_CASE("Timer fires once after its timeout", "[event][timer]") {
  auto dispatcher = createDispatcher();
  int fired = 0;
  auto start = std::chrono::steady_clock::now();
  auto timer = dispatcher->createTimer([&] { ++fired; });
  timer->enable(20ms);
  CHECK(timer->enabled());
  REQUIRE(test::runUntil(*dispatcher, [&] { return fired == 1; }));
  CHECK(std::chrono::steady_clock::now() - start >= 19ms);
  CHECK_FALSE(timer->enabled());
}

TEST_CASE("Disabled and destroyed timers never fire", "[event][timer]") {
  auto dispatcher = createDispatcher();
  int fired = 0;
  auto disabled = dispatcher->createTimer([&] { ++fired; });
  disabled->enable(5ms);
  disabled->disable();
  auto destroyed = dispatcher->createTimer([&] { ++fired; });
  destroyed->enable(5ms);
  destroyed.reset();
  bool later = false;
  auto sentinel = dispatcher->createTimer([&] { later = true; });
  sentinel->enable(30ms);
  REQUIRE(test::runUntil(*dispatcher, [&] { return later; }));
  CHECK(fired == 0);
}

TEST_CASE("Re-arming a timer moves its deadline; a callback may destroy its timer",
          "[event][timer]") {
  auto dispatcher = createDispatcher();
  int fired = 0;
  TimerPtr timer;
  timer = dispatcher->createTimer([&] {
    ++fired;
    timer.reset();
  });
  timer->enable(5ms);
  timer->enable(40ms);
  bool checkedEarly = false;
  auto probe = dispatcher->createTimer([&] {
    checkedEarly = true;
    CHECK(fired == 0);
  });
  probe->enable(20ms);
  REQUIRE(test::runUntil(*dispatcher, [&] { return fired == 1; }));
  CHECK(checkedEarly);
  CHECK(timer == nullptr);
}

TEST_CASE("post() from other threads runs every function on the loop thread, in order",
          "[event][post]") {
  auto dispatcher = createDispatcher();
  std::vector<int> seen;
  std::thread::id loopThread = std::this_thread::get_id();
  std::atomic<bool> wrongThread{false};
  constexpr int kPerThread = 500;
  std::vector<std::thread> threads;
  std::vector<std::vector<int>> perThread(2);
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        dispatcher->post([&, t, i] {
          if (std::this_thread::get_id() != loopThread) {
            wrongThread = true;
          }
          perThread[t].push_back(i);
          seen.push_back(i);
        });
      }
    });
  }
  REQUIRE(test::runUntil(*dispatcher, [&] { return seen.size() == 2 * kPerThread; }));
  for (auto& t : threads) {
    t.join();
  }
  CHECK_FALSE(wrongThread);
  for (auto& list : perThread) {
    REQUIRE(list.size() == kPerThread);
    for (int i = 0; i < kPerThread; ++i) {
      CHECK(list[i] == i);
    }
  }
}

TEST_CASE("exit() from another thread returns from run()", "[event][post]") {
  auto dispatcher = createDispatcher();
  auto keepAlive = dispatcher->createTimer([] {});
  keepAlive->enable(10s);
  std::thread stopper([&] {
    std::this_thread::sleep_for(10ms);
    dispatcher->exit();
  });
  dispatcher->run();
  stopper.join();
  SUCCEED("run() returned");
}

TEST_CASE("scheduleEndOfIteration runs once per call, after the current callback",
          "[event][iteration]") {
  auto dispatcher = createDispatcher();
  std::vector<std::string> order;
  auto timer = dispatcher->createTimer([&] {
    dispatcher->scheduleEndOfIteration([&] { order.push_back("end1"); });
    dispatcher->scheduleEndOfIteration([&] {
      order.push_back("end2");
      dispatcher->scheduleEndOfIteration([&] { order.push_back("nested"); });
    });
    order.push_back("timer");
  });
  timer->enable(0ms);
  REQUIRE(test::runUntil(*dispatcher, [&] { return order.size() == 4; }));
  CHECK(order == std::vector<std::string>{"timer", "end1", "end2", "nested"});
}

TEST_CASE("now() is monotonic and close to steady_clock", "[event]") {
  auto dispatcher = createDispatcher();
  auto a = dispatcher->now();
  int fired = 0;
  auto timer = dispatcher->createTimer([&] { ++fired; });
  timer->enable(15ms);
  REQUIRE(test::runUntil(*dispatcher, [&] { return fired == 1; }));
  auto b = dispatcher->now();
  CHECK(b - a >= 10ms);
  auto diff = std::chrono::steady_clock::now() - b;
  CHECK(std::chrono::abs(diff) < 100ms);
}

} // namespace
} // namespace gateway::event
