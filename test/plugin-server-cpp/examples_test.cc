// cpp-hello and cpp-rate-limit through the plugin-author harness (no gateway, no gRPC).
#include <catch2/catch.hpp>

#include "gantry_pdk/testing.h"

using gantry_pdk::testing::Harness;
using gantry_pdk::testing::Request;

TEST_CASE("cpp-hello: sets x-hello-from-cpp", "[examples]") {
  Harness h;
  h.add("cpp-hello", {{"message", "Hi!"}});
  auto r = h.doHttp(Request{.url = "http://localhost/"});
  CHECK_FALSE(r.error);
  CHECK(r.proxied);
  CHECK(r.clientResponse.status == 200);
  CHECK(r.clientResponse.header("x-hello-from-cpp") == "C++ says Hi! to localhost");
}

TEST_CASE("cpp-hello: default message and a rejected config", "[examples]") {
  Harness h;
  h.add("cpp-hello");
  auto r = h.doHttp(Request{.url = "http://example.com:8000/x", .headers = {{"Host", "example.com"}}});
  CHECK(r.clientResponse.header("x-hello-from-cpp") == "C++ says hello to example.com");
  Harness bad;
  CHECK_THROWS_WITH(bad.add("cpp-hello", {{"message", 3}}),
                    "cpp-hello: message: expected a string");
}

TEST_CASE("cpp-rate-limit: allows the burst, then answers 429", "[examples]") {
  Harness h;
  h.add("cpp-rate-limit", {{"rate_per_second", 0.001}, {"burst", 2}});
  Request req{.url = "http://api.test/"};
  auto first = h.doHttp(req);
  CHECK(first.proxied);
  CHECK(first.clientResponse.header("RateLimit-Limit") == "2");
  CHECK(first.clientResponse.header("RateLimit-Remaining") == "1");
  CHECK(first.clientResponse.header("RateLimit-Reset") == "1000");
  auto second = h.doHttp(req);
  CHECK(second.clientResponse.header("RateLimit-Remaining") == "0");
  auto third = h.doHttp(req);
  CHECK_FALSE(third.proxied);
  REQUIRE(third.exit);
  CHECK(third.clientResponse.status == 429);
  CHECK(third.clientResponse.body == R"({"message":"API rate limit exceeded"})");
  CHECK(third.clientResponse.header("Retry-After") == "1000");
  CHECK(third.clientResponse.header("RateLimit-Remaining") == "0");
  CHECK(third.clientResponse.header("content-type") == "application/json; charset=utf-8");
}

TEST_CASE("cpp-rate-limit: buckets are per client IP, per consumer, per header", "[examples]") {
  Harness h;
  h.add("cpp-rate-limit", {{"rate_per_second", 0.001}, {"burst", 1}, {"header_name", "x-key"}});
  CHECK(h.doHttp(Request{.clientIp = "10.0.0.1"}).proxied);
  CHECK_FALSE(h.doHttp(Request{.clientIp = "10.0.0.1"}).proxied);
  CHECK(h.doHttp(Request{.clientIp = "10.0.0.2"}).proxied);
  CHECK(h.doHttp(Request{.headers = {{"x-key", "k1"}}, .clientIp = "10.0.0.1"}).proxied);
  CHECK_FALSE(h.doHttp(Request{.headers = {{"x-key", "k1"}}, .clientIp = "10.0.0.3"}).proxied);
}

TEST_CASE("cpp-rate-limit: config is validated", "[examples]") {
  Harness h;
  CHECK_THROWS_WITH(h.add("cpp-rate-limit", {{"burst", 1}}),
                    "cpp-rate-limit: rate_per_second: required field missing");
  CHECK_THROWS_WITH(h.add("cpp-rate-limit", {{"rate_per_second", 1}, {"burst", 0}}),
                    "cpp-rate-limit: burst: value should be between 1 and 1000000000");
}

TEST_CASE("Harness: plugins run by priority; rate limit exit skips hello's access", "[examples]") {
  Harness h;
  h.add("cpp-hello").add("cpp-rate-limit", {{"rate_per_second", 0.001}, {"burst", 1}});
  auto ok = h.doHttp(Request{});
  CHECK(ok.clientResponse.header("x-hello-from-cpp"));  // hello (1000) runs before limit (910).
  CHECK(ok.clientResponse.header("RateLimit-Limit") == "1");
  auto limited = h.doHttp(Request{});
  CHECK(limited.clientResponse.status == 429);
  // hello ran first in the same access call; its response header applies to the exit too.
  CHECK(limited.clientResponse.header("x-hello-from-cpp"));
}
