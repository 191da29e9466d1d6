#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

#include <catch2/catch.hpp>

#include "core/event/test_util.h"
#include "gateway/event/dispatcher.h"

using namespace std::chrono_literals;

namespace gateway::event {
namespace {

// A port on 127.0.0.1 that nothing listens on (bound once to learn a free port, then closed).
uint16_t closedPort(Dispatcher& dispatcher) {
  auto listener = dispatcher.listenTcp("127.0.0.1", 0, 1, [](TcpStreamPtr) {});
  REQUIRE(listener.isOk());
  return listener.value()->port();
}

TEST_CASE("Connecting to a closed port reports Unavailable (refused)", "[event][connect]") {
  auto dispatcher = createDispatcher();
  uint16_t port = closedPort(*dispatcher);
  bool done = false;
  Status status;
  auto request = dispatcher->connectTcp("127.0.0.1", port, 1000ms, 1024,
                                        [&](StatusOr<TcpStreamPtr>&& result) {
                                          status = result.status();
                                          done = true;
                                        });
  REQUIRE(test::runUntil(*dispatcher, [&] { return done; }));
  CHECK(status.code() == StatusCode::Unavailable);
  CHECK(status.message().find("refused") != std::string::npos);
}

TEST_CASE("A connect that gets no answer times out", "[event][connect]") {
  // A listener with a full accept queue drops further SYNs, so those connects hang until our
  // timer fires. (10.255.255.1 is not usable here: some sandboxes answer every address.)
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  REQUIRE(::listen(fd, 0) == 0);
  socklen_t len = sizeof(addr);
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  uint16_t port = ntohs(addr.sin_port);

  auto dispatcher = createDispatcher();
  constexpr int kAttempts = 6;
  int done = 0;
  int timedOut = 0;
  std::vector<TcpStreamPtr> connected;
  std::vector<ConnectRequestPtr> requests;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kAttempts; ++i) {
    requests.push_back(dispatcher->connectTcp(
        "127.0.0.1", port, 100ms, 1024, [&](StatusOr<TcpStreamPtr>&& result) {
          ++done;
          if (result.isOk()) {
            connected.push_back(std::move(result.value()));
          } else if (result.status().code() == StatusCode::DeadlineExceeded) {
            ++timedOut;
            CHECK(result.status().message().find("timed out after 100 ms") != std::string::npos);
          }
        }));
  }
  REQUIRE(test::runUntil(*dispatcher, [&] { return done == kAttempts; }));
  CHECK(timedOut >= 1);
  CHECK(std::chrono::steady_clock::now() - start >= 95ms);
  ::close(fd);
}

TEST_CASE("Connecting to a non-routable address ends within its timeout", "[event][connect]") {
  auto dispatcher = createDispatcher();
  bool done = false;
  Status status;
  auto request = dispatcher->connectTcp("10.255.255.1", 80, 50ms, 1024,
                                        [&](StatusOr<TcpStreamPtr>&& result) {
                                          status = result.status();
                                          done = true;
                                        });
  // Timeout, unreachable, or (in sandboxes that answer everything) connected: never a hang.
  REQUIRE(test::runUntil(*dispatcher, [&] { return done; }, 1000ms));
}

TEST_CASE("Destroying a ConnectRequest cancels it: no callback afterwards", "[event][connect]") {
  auto dispatcher = createDispatcher();
  int calls = 0;
  auto pending = dispatcher->connectTcp("10.255.255.1", 80, 30ms, 1024,
                                        [&](StatusOr<TcpStreamPtr>&&) { ++calls; });
  auto resolving = dispatcher->connectTcp("localhost", 80, 30ms, 1024,
                                          [&](StatusOr<TcpStreamPtr>&&) { ++calls; });
  auto listener = dispatcher->listenTcp("127.0.0.1", 0, 16, [](TcpStreamPtr) {});
  REQUIRE(listener.isOk());
  auto local = dispatcher->connectTcp("127.0.0.1", listener.value()->port(), 30ms, 1024,
                                      [&](StatusOr<TcpStreamPtr>&&) { ++calls; });
  pending.reset();
  resolving.reset();
  local.reset();
  bool waited = false;
  auto t = dispatcher->createTimer([&] { waited = true; });
  t->enable(100ms);
  test::runUntil(*dispatcher, [&] { return waited; });
  CHECK(calls == 0);
}

TEST_CASE("Host names are resolved asynchronously", "[event][connect]") {
  auto dispatcher = createDispatcher();
  TcpStreamPtr accepted;
  auto listener = dispatcher->listenTcp("127.0.0.1", 0, 16,
                                        [&](TcpStreamPtr s) { accepted = std::move(s); });
  REQUIRE(listener.isOk());
  bool done = false;
  TcpStreamPtr stream;
  Status status;
  auto request = dispatcher->connectTcp("localhost", listener.value()->port(), 2000ms, 1024,
                                        [&](StatusOr<TcpStreamPtr>&& result) {
                                          status = result.status();
                                          if (result.isOk()) {
                                            stream = std::move(result.value());
                                          }
                                          done = true;
                                        });
  REQUIRE(test::runUntil(*dispatcher, [&] { return done; }));
  // "localhost" may resolve to ::1 first; the IPv4 address is tried next.
  CHECK(status.isOk());
}

TEST_CASE("An unknown host name reports an error", "[event][connect]") {
  auto dispatcher = createDispatcher();
  bool done = false;
  Status status;
  auto request = dispatcher->connectTcp("no-such-host.invalid", 80, 2000ms, 1024,
                                        [&](StatusOr<TcpStreamPtr>&& result) {
                                          status = result.status();
                                          done = true;
                                        });
  REQUIRE(test::runUntil(*dispatcher, [&] { return done; }));
  CHECK_FALSE(status.isOk());
  CHECK(status.message().find("no-such-host.invalid") != std::string::npos);
}

TEST_CASE("A callback may destroy its own ConnectRequest", "[event][connect]") {
  auto dispatcher = createDispatcher();
  uint16_t port = closedPort(*dispatcher);
  ConnectRequestPtr request;
  bool done = false;
  request = dispatcher->connectTcp("127.0.0.1", port, 1000ms, 1024,
                                   [&](StatusOr<TcpStreamPtr>&&) {
                                     request.reset();
                                     done = true;
                                   });
  REQUIRE(test::runUntil(*dispatcher, [&] { return done; }));
  CHECK(request == nullptr);
}

} // namespace
} // namespace gateway::event
