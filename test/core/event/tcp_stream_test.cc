#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "core/event/stream_recorder.h"
#include "core/event/test_util.h"
#include "gateway/event/dispatcher.h"

using namespace std::chrono_literals;

namespace gateway::event {
namespace {

// A listener on 127.0.0.1:0 and one connected client/server pair.
struct Pair {
  DispatcherPtr dispatcher = createDispatcher();
  ListenerPtr listener;
  TcpStreamPtr server;
  TcpStreamPtr client;
  test::StreamRecorder serverSide;
  test::StreamRecorder clientSide;

  explicit Pair(size_t clientHighWater = 64 * 1024) {
    auto listening = dispatcher->listenTcp("127.0.0.1", 0, 128, [this](TcpStreamPtr stream) {
      server = std::move(stream);
      server->setCallbacks(&serverSide);
    });
    REQUIRE(listening.isOk());
    listener = std::move(listening.value());
    REQUIRE(listener->port() != 0);
    bool connected = false;
    auto request = dispatcher->connectTcp("127.0.0.1", listener->port(), 1000ms, clientHighWater,
                                          [&](StatusOr<TcpStreamPtr>&& result) {
                                            REQUIRE(result.isOk());
                                            client = std::move(result.value());
                                            client->setCallbacks(&clientSide);
                                            connected = true;
                                          });
    REQUIRE(test::runUntil(*dispatcher, [&] { return connected && server != nullptr; }));
  }
};

TEST_CASE("Listen on port 0, connect, and echo data both ways", "[event][tcp]") {
  Pair pair;
  CHECK(pair.client->peerPort() == pair.listener->port());
  CHECK(pair.client->peerAddress() == "127.0.0.1");
  CHECK(pair.server->localPort() == pair.listener->port());
  CHECK(pair.server->peerPort() == pair.client->localPort());

  pair.serverSide.onDataHook = [&](std::string_view bytes) {
    REQUIRE(pair.server->write(std::string(bytes)).isOk());
  };
  REQUIRE(pair.client->write("hello, ").isOk());
  REQUIRE(pair.client->write("gateway").isOk());
  REQUIRE(test::runUntil(*pair.dispatcher,
                         [&] { return pair.clientSide.data == "hello, gateway"; }));
  CHECK(pair.serverSide.data == "hello, gateway");
}

TEST_CASE("Two listeners bind the same address with SO_REUSEPORT", "[event][tcp]") {
  auto dispatcher = createDispatcher();
  auto first = dispatcher->listenTcp("127.0.0.1", 0, 16, [](TcpStreamPtr) {});
  REQUIRE(first.isOk());
  auto second = dispatcher->listenTcp("127.0.0.1", first.value()->port(), 16, [](TcpStreamPtr) {});
  REQUIRE(second.isOk());
  CHECK(second.value()->port() == first.value()->port());
}

TEST_CASE("Listening on a bad address reports an error", "[event][tcp]") {
  auto dispatcher = createDispatcher();
  auto result = dispatcher->listenTcp("192.0.2.1", 0, 16, [](TcpStreamPtr) {});
  REQUIRE_FALSE(result.isOk());
  CHECK(result.status().message().find("listen 192.0.2.1:0") != std::string::npos);
}

TEST_CASE("Write back-pressure: full above the high mark, drained below the low mark",
          "[event][tcp]") {
  Pair pair(16 * 1024);
  pair.server->readDisable(true);  // The peer stops reading: the kernel buffers fill up.
  std::string chunk(64 * 1024, 'x');
  size_t sent = 0;
  // Write until the stream stays full after a flush (the kernel buffers are full).
  for (int round = 0; round < 400; ++round) {
    REQUIRE(pair.client->write(std::string(chunk)).isOk());
    sent += chunk.size();
    CHECK(pair.client->writeBufferFull());
    bool flushed = false;
    auto t = pair.dispatcher->createTimer([&] { flushed = true; });
    t->enable(2ms);
    test::runUntil(*pair.dispatcher, [&] { return flushed; });
    if (pair.client->writeBufferFull()) {
      break;
    }
  }
  REQUIRE(pair.client->writeBufferFull());
  CHECK(pair.client->bufferedBytes() > 16 * 1024);
  int drainedBefore = pair.clientSide.drained;
  bool waited = false;
  auto t = pair.dispatcher->createTimer([&] { waited = true; });
  t->enable(20ms);
  test::runUntil(*pair.dispatcher, [&] { return waited; });
  CHECK(pair.clientSide.drained == drainedBefore);  // Still full: no drained notification.

  pair.server->readDisable(false);
  REQUIRE(test::runUntil(*pair.dispatcher, [&] { return pair.serverSide.data.size() == sent; }));
  CHECK(pair.clientSide.drained == drainedBefore + 1);
  CHECK_FALSE(pair.client->writeBufferFull());
  CHECK(pair.client->bufferedBytes() == 0);
}

TEST_CASE("readDisable stops onData until re-enabled", "[event][tcp]") {
  Pair pair;
  pair.server->readDisable(true);
  REQUIRE(pair.client->write("abc").isOk());
  bool waited = false;
  auto t = pair.dispatcher->createTimer([&] { waited = true; });
  t->enable(30ms);
  test::runUntil(*pair.dispatcher, [&] { return waited; });
  CHECK(pair.serverSide.data.empty());
  pair.server->readDisable(false);
  REQUIRE(test::runUntil(*pair.dispatcher, [&] { return pair.serverSide.data == "abc"; }));
}

TEST_CASE("closeAfterWrite delivers queued bytes, then EOF to the peer and onClose(ok)",
          "[event][tcp]") {
  Pair pair;
  std::string big(300 * 1024, 'y');
  REQUIRE(pair.server->write(std::string(big)).isOk());
  REQUIRE(pair.server->write("tail").isOk());
  pair.server->closeAfterWrite();
  CHECK_FALSE(pair.server->write("late").isOk());
  REQUIRE(test::runUntil(*pair.dispatcher,
                         [&] { return pair.clientSide.eof && pair.serverSide.closed; }));
  CHECK(pair.clientSide.data.size() == big.size() + 4);
  CHECK(pair.clientSide.data.substr(big.size()) == "tail");
  CHECK(pair.serverSide.closeReason.isOk());
  CHECK_FALSE(pair.server->isOpen());
}

TEST_CASE("shutdownWrite half-closes: the peer sees EOF and can still answer",
          "[event][tcp]") {
  Pair pair;
  REQUIRE(pair.client->write("request").isOk());
  pair.client->shutdownWrite();
  REQUIRE(test::runUntil(*pair.dispatcher, [&] { return pair.serverSide.eof; }));
  CHECK(pair.serverSide.data == "request");
  REQUIRE(pair.server->write("response").isOk());
  pair.server->closeAfterWrite();
  REQUIRE(test::runUntil(*pair.dispatcher,
                         [&] { return pair.clientSide.eof && pair.clientSide.data == "response"; }));
}

TEST_CASE("closeNow gives no callback on its side; the peer sees EOF or a reset",
          "[event][tcp]") {
  Pair pair;
  REQUIRE(pair.client->write("dropped?").isOk());
  pair.client->closeNow();
  CHECK_FALSE(pair.client->isOpen());
  CHECK_FALSE(pair.client->write("x").isOk());
  REQUIRE(test::runUntil(*pair.dispatcher,
                         [&] { return pair.serverSide.eof || pair.serverSide.closed; }));
  CHECK_FALSE(pair.clientSide.closed);
}

TEST_CASE("A stream destroyed inside its own onData callback is safe", "[event][tcp]") {
  Pair pair;
  pair.serverSide.onDataHook = [&](std::string_view) { pair.server.reset(); };
  REQUIRE(pair.client->write("bye").isOk());
  REQUIRE(test::runUntil(*pair.dispatcher, [&] { return pair.server == nullptr; }));
  REQUIRE(test::runUntil(*pair.dispatcher,
                         [&] { return pair.clientSide.eof || pair.clientSide.closed; }));
}

TEST_CASE("A stream destroyed with writes queued and in flight is safe", "[event][tcp]") {
  Pair pair;
  pair.server->readDisable(true);
  REQUIRE(pair.client->write(std::string(4 * 1024 * 1024, 'z')).isOk());
  bool flushed = false;
  auto t = pair.dispatcher->createTimer([&] { flushed = true; });
  t->enable(5ms);
  test::runUntil(*pair.dispatcher, [&] { return flushed; });
  REQUIRE(pair.client->write("more").isOk());
  pair.client.reset();
  pair.server->readDisable(false);
  REQUIRE(test::runUntil(*pair.dispatcher,
                         [&] { return pair.serverSide.eof || pair.serverSide.closed; }));
}

TEST_CASE("Listener::stop refuses new connections", "[event][tcp]") {
  Pair pair;
  uint16_t port = pair.listener->port();
  pair.listener->stop();
  bool done = false;
  Status status;
  auto request = pair.dispatcher->connectTcp("127.0.0.1", port, 1000ms, 1024,
                                             [&](StatusOr<TcpStreamPtr>&& result) {
                                               status = result.status();
                                               done = true;
                                             });
  REQUIRE(test::runUntil(*pair.dispatcher, [&] { return done; }));
  CHECK(status.code() == StatusCode::Unavailable);
}

} // namespace
} // namespace gateway::event
