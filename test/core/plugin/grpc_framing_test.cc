#include <catch2/catch.hpp>

#include "plugin/grpc_framing.h"

using namespace gateway::plugin;

namespace {
std::string frame(const std::string& payload) {
  std::string out;
  appendGrpcFrameHeader(out, static_cast<uint32_t>(payload.size()));
  return out + payload;
}
} // namespace

TEST_CASE("grpc frame header is a zero flag and a big-endian length", "[plugin][grpc]") {
  std::string out;
  appendGrpcFrameHeader(out, 0x01020304);
  REQUIRE(out == std::string("\x00\x01\x02\x03\x04", 5));
}

TEST_CASE("grpc frame decoder reassembles messages split anywhere", "[plugin][grpc]") {
  const std::string wire = frame("hello") + frame("") + frame(std::string(70000, 'x'));
  for (size_t step : {size_t{1}, size_t{3}, size_t{5}, size_t{4096}, wire.size()}) {
    GrpcFrameDecoder d(1 << 20);
    std::vector<std::string> got;
    for (size_t i = 0; i < wire.size(); i += step) {
      d.feed(std::string_view(wire).substr(i, step));
      std::string_view m;
      while (d.next(&m)) {
        got.emplace_back(m);
      }
    }
    REQUIRE(d.status().isOk());
    REQUIRE(d.pendingBytes() == 0);
    REQUIRE(got.size() == 3);
    CHECK(got[0] == "hello");
    CHECK(got[1].empty());
    CHECK(got[2] == std::string(70000, 'x'));
  }
}

TEST_CASE("grpc frame decoder keeps an incomplete tail", "[plugin][grpc]") {
  GrpcFrameDecoder d(100);
  const std::string wire = frame("abcdef");
  d.feed(wire.substr(0, 8));
  std::string_view m;
  REQUIRE_FALSE(d.next(&m));
  REQUIRE(d.status().isOk());
  REQUIRE(d.pendingBytes() == 8);
}

TEST_CASE("grpc frame decoder rejects hostile frames", "[plugin][grpc]") {
  std::string_view m;
  SECTION("over the limit") {
    GrpcFrameDecoder d(10);
    d.feed(frame(std::string(11, 'a')));
    REQUIRE_FALSE(d.next(&m));
    REQUIRE_FALSE(d.status().isOk());
    CHECK_THAT(d.status().message(), Catch::Contains("exceeds the limit"));
    d.feed(frame("ok"));
    REQUIRE_FALSE(d.next(&m));  // Stays failed.
  }
  SECTION("a 4 GiB length prefix is refused before anything is buffered for it") {
    GrpcFrameDecoder d(64 * 1024 * 1024);
    d.feed(std::string("\x00\xff\xff\xff\xff", 5));
    REQUIRE_FALSE(d.next(&m));
    REQUIRE_FALSE(d.status().isOk());
  }
  SECTION("compressed") {
    GrpcFrameDecoder d(100);
    std::string w = frame("zz");
    w[0] = 1;
    d.feed(w);
    REQUIRE_FALSE(d.next(&m));
    CHECK_THAT(d.status().message(), Catch::Contains("compressed"));
  }
}

TEST_CASE("grpc-message percent-decoding", "[plugin][grpc]") {
  CHECK(decodeGrpcMessage("plain text") == "plain text");
  CHECK(decodeGrpcMessage("caf%C3%A9 %25 done") == "caf\xC3\xA9 % done");
  CHECK(decodeGrpcMessage("bad %zz and %4") == "bad %zz and %4");
  CHECK(decodeGrpcMessage("%") == "%");
}
