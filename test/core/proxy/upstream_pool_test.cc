#include <catch2/catch.hpp>

#include "core/event/test_util.h"
#include "proxy/upstream_pool.h"

using namespace gateway;
using namespace gateway::proxy;
using namespace std::chrono_literals;

namespace {

// A TcpStream that records what the pool does to it; no socket.
struct FakeStream : event::TcpStream {
  event::StreamCallbacks* callbacks{nullptr};
  bool open{true};
  bool* destroyed{nullptr};
  ~FakeStream() override {
    if (destroyed != nullptr) {
      *destroyed = true;
    }
  }
  void setCallbacks(event::StreamCallbacks* c) override { callbacks = c; }
  void readDisable(bool) override {}
  Status write(std::string&&) override { return Status::ok(); }
  size_t bufferedBytes() const override { return 0; }
  bool writeBufferFull() const override { return false; }
  void closeAfterWrite() override { open = false; }
  void closeNow() override { open = false; }
  void shutdownWrite() override {}
  std::string peerAddress() const override { return "127.0.0.1"; }
  uint16_t peerPort() const override { return 1; }
  uint16_t localPort() const override { return 2; }
  bool isOpen() const override { return open; }
};

struct Fixture {
  event::DispatcherPtr dispatcher = event::createDispatcher();
  DeferredDeleter deleter{*dispatcher};
  UpstreamPool pool{deleter, 2, 50ms};
  upstream::Endpoint target{"127.0.0.1", 9000};

  UpstreamConnectionPtr make(FakeStream** raw = nullptr, bool* destroyed = nullptr,
                             upstream::Endpoint ep = {"127.0.0.1", 9000}) {
    auto s = std::make_unique<FakeStream>();
    s->destroyed = destroyed;
    if (raw != nullptr) {
      *raw = s.get();
    }
    return std::make_unique<UpstreamConnection>(*dispatcher, std::move(s), ep,
                                                http1::DecoderLimits{});
  }
};

} // namespace

TEST_CASE("UpstreamPool.reusesLifoPerTarget") {
  Fixture f;
  CHECK(f.pool.acquire(f.target) == nullptr);
  auto a = f.make();
  auto b = f.make();
  UpstreamConnection* rawA = a.get();
  UpstreamConnection* rawB = b.get();
  f.pool.release(std::move(a));
  f.pool.release(std::move(b));
  CHECK(f.pool.idleCountForTest(f.target) == 2);
  CHECK(f.pool.acquire({"127.0.0.1", 9001}) == nullptr);
  auto got = f.pool.acquire(f.target);
  CHECK(got.get() == rawB);
  auto got2 = f.pool.acquire(f.target);
  CHECK(got2.get() == rawA);
  CHECK(f.pool.idleCount() == 0);
}

TEST_CASE("UpstreamPool.boundedPerTarget") {
  Fixture f;
  bool destroyed = false;
  f.pool.release(f.make());
  f.pool.release(f.make());
  f.pool.release(f.make(nullptr, &destroyed));
  CHECK(f.pool.idleCountForTest(f.target) == 2);
  f.deleter.clear();
  CHECK(destroyed);
}

TEST_CASE("UpstreamPool.notReusableIsClosed") {
  Fixture f;
  bool destroyed = false;
  auto c = f.make(nullptr, &destroyed);
  c->markNotReusable();
  f.pool.release(std::move(c));
  CHECK(f.pool.idleCount() == 0);
  f.deleter.clear();
  CHECK(destroyed);
}

TEST_CASE("UpstreamPool.upstreamCloseEvictsIdle") {
  Fixture f;
  FakeStream* raw = nullptr;
  bool destroyed = false;
  f.pool.release(f.make(&raw, &destroyed));
  REQUIRE(f.pool.idleCount() == 1);
  raw->callbacks->onEof();
  CHECK(f.pool.idleCount() == 0);
  f.deleter.clear();
  CHECK(destroyed);
}

TEST_CASE("UpstreamPool.unexpectedDataEvictsIdle") {
  Fixture f;
  FakeStream* raw = nullptr;
  f.pool.release(f.make(&raw));
  raw->callbacks->onData("HTTP/1.1 200 OK\r\n");
  CHECK(f.pool.idleCount() == 0);
}

TEST_CASE("UpstreamPool.idleTimeoutEvicts") {
  Fixture f;
  f.pool.release(f.make());
  REQUIRE(f.pool.idleCount() == 1);
  CHECK(event::test::runUntil(*f.dispatcher, [&] { return f.pool.idleCount() == 0; }, 2000ms));
}

TEST_CASE("UpstreamPool.closeAll") {
  Fixture f;
  f.pool.release(f.make());
  f.pool.release(f.make(nullptr, nullptr, {"127.0.0.1", 9001}));
  CHECK(f.pool.idleCount() == 2);
  f.pool.closeAll();
  CHECK(f.pool.idleCount() == 0);
}
