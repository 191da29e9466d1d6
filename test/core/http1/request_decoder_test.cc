#include <catch2/catch.hpp>

#include "core/http1/recording_callbacks.h"
#include "gateway/http1/codec.h"

using namespace gateway;
using namespace gateway::http1;
using gateway::http1::test::feedAll;
using gateway::http1::test::feedBytewise;
using gateway::http1::test::RecordingRequestCallbacks;

namespace {
const DecoderLimits kLimits{};
}

TEST_CASE("request: simple GET", "[http1][request]") {
  RecordingRequestCallbacks cb;
  auto d = createRequestDecoder(cb, kLimits);
  std::string wire = "GET /a/b?x=1&y HTTP/1.1\r\nHost: example.com\r\nX-Custom-Case: v \r\n\r\n";
  auto r = d->decode(wire);
  REQUIRE(r.status == DecodeStatus::MessageComplete);
  CHECK(r.consumed == wire.size());
  REQUIRE(cb.heads.size() == 1);
  const auto& h = cb.heads[0];
  CHECK(h.method == "GET");
  CHECK(h.path == "/a/b");
  CHECK(h.rawQuery == "x=1&y");
  CHECK(h.hasQuery);
  CHECK(h.versionMajor == 1);
  CHECK(h.versionMinor == 1);
  CHECK(h.framing == http::BodyFraming::None);
  CHECK(h.keepAlive);
  CHECK_FALSE(h.expectContinue);
  CHECK_FALSE(h.upgrade);
  REQUIRE(h.headers.size() == 2);
  CHECK(h.headers.fields()[0].name == "Host");
  CHECK(h.headers.fields()[1].name == "X-Custom-Case");  // Original case kept.
  CHECK(h.headers.fields()[1].value == "v");             // OWS trimmed.
  CHECK(cb.completes == 1);
  CHECK_FALSE(d->messageInProgress());
}

TEST_CASE("request: empty query and no query", "[http1][request]") {
  RecordingRequestCallbacks cb;
  auto d = createRequestDecoder(cb, kLimits);
  REQUIRE(feedAll(*d, "GET /p? HTTP/1.1\r\nHost: h\r\n\r\nGET /q HTTP/1.1\r\nHost: h\r\n\r\n")
              .status == DecodeStatus::MessageComplete);
  REQUIRE(cb.heads.size() == 2);
  CHECK(cb.heads[0].hasQuery);
  CHECK(cb.heads[0].rawQuery.empty());
  CHECK(cb.heads[0].target() == "/p?");
  CHECK_FALSE(cb.heads[1].hasQuery);
}

TEST_CASE("request: byte-at-a-time feeding gives the same result", "[http1][request]") {
  RecordingRequestCallbacks cb;
  auto d = createRequestDecoder(cb, kLimits);
  std::string wire = "POST /upload?k=v HTTP/1.1\r\nHost: h\r\nX-A: one two\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n"
                     "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer-A: x\r\n\r\n";
  auto r = feedBytewise(*d, wire);
  CHECK(r.status == DecodeStatus::MessageComplete);
  REQUIRE(cb.heads.size() == 1);
  CHECK(cb.heads[0].path == "/upload");
  CHECK(cb.heads[0].rawQuery == "k=v");
  CHECK(cb.heads[0].headers.get("x-a") == "one two");
  CHECK(cb.heads[0].framing == http::BodyFraming::Chunked);
  CHECK(cb.body == "hello world");
  CHECK(cb.completes == 1);
}

TEST_CASE("request: pipelined requests pause with the right consumed count", "[http1][request]") {
  RecordingRequestCallbacks cb;
  auto d = createRequestDecoder(cb, kLimits);
  std::string first = "POST /1 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc";
  std::string second = "GET /2 HTTP/1.1\r\nHost: h\r\n\r\n";
  std::string third = "GET /3 HTTP/1.1\r\nHost: h\r\n\r\n";
  std::string wire = first + second + third;

  auto r = d->decode(wire);
  REQUIRE(r.status == DecodeStatus::MessageComplete);
  CHECK(r.consumed == first.size());
  CHECK(cb.heads.size() == 1);
  CHECK(cb.completes == 1);

  // Before resume() the decoder refuses input.
  CHECK(d->decode("x").status == DecodeStatus::Error);

  d->resume();
  std::string_view rest = std::string_view(wire).substr(r.consumed);
  r = d->decode(rest);
  REQUIRE(r.status == DecodeStatus::MessageComplete);
  CHECK(r.consumed == second.size());
  CHECK(cb.heads.size() == 2);
  CHECK(cb.heads[1].path == "/2");

  d->resume();
  rest.remove_prefix(r.consumed);
  r = d->decode(rest);
  REQUIRE(r.status == DecodeStatus::MessageComplete);
  CHECK(r.consumed == third.size());
  CHECK(cb.heads[2].path == "/3");
  CHECK(cb.body == "abc");
  d->resume();
  CHECK(d->finish().status == DecodeStatus::Ok);
}

TEST_CASE("request: pipelined requests fed byte by byte", "[http1][request]") {
  RecordingRequestCallbacks cb;
  auto d = createRequestDecoder(cb, kLimits);
  std::string wire = "GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n";
  feedBytewise(*d, wire);
  REQUIRE(cb.heads.size() == 2);
  CHECK(cb.completes == 2);
}

TEST_CASE("request: chunked body with extensions and trailers", "[http1][request]") {
  RecordingRequestCallbacks cb;
  auto d = createRequestDecoder(cb, kLimits);
  std::string wire = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "3;name=value\r\nabc\r\n"
                     "A;flag;q=\"quoted\"\r\n0123456789\r\n"
                     "0\r\nX-Trailer: t\r\nX-Other: u\r\n\r\n";
  auto r = d->decode(wire);
  REQUIRE(r.status == DecodeStatus::MessageComplete);
  CHECK(r.consumed == wire.size());
  CHECK(cb.body == "abc0123456789");
  REQUIRE(cb.heads.size() == 1);
  CHECK(cb.heads[0].framing == http::BodyFraming::Chunked);
  CHECK_FALSE(cb.heads[0].headers.has("X-Trailer"));  // Trailers are dropped.
}

TEST_CASE("request: known llhttp 8.1 limitation: extension after a token-valued one -> 400",
          "[http1][request]") {
  // llhttp 8.1 fails on ";a=b;c" (";a;c=d" and ";a=\"b\";c" work). Rare in practice.
  RecordingRequestCallbacks cb;
  auto d = createRequestDecoder(cb, kLimits);
  auto r = d->decode("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "3;a=b;c\r\nabc\r\n0\r\n\r\n");
  CHECK(r.status == DecodeStatus::Error);
  CHECK(r.errorStatus == 400);
}

TEST_CASE("request: Content-Length body in pieces is streamed", "[http1][request]") {
  RecordingRequestCallbacks cb;
  auto d = createRequestDecoder(cb, kLimits);
  REQUIRE(d->decode("PUT /x HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n0123").status ==
          DecodeStatus::Ok);
  REQUIRE(cb.heads.size() == 1);
  CHECK(cb.heads[0].framing == http::BodyFraming::ContentLength);
  CHECK(cb.heads[0].contentLength == 10);
  CHECK(cb.body == "0123");
  CHECK(d->messageInProgress());
  CHECK(d->decode("45").status == DecodeStatus::Ok);
  CHECK(cb.body == "012345");
  auto r = d->decode("6789GET");
  REQUIRE(r.status == DecodeStatus::MessageComplete);
  CHECK(r.consumed == 4);
  CHECK(cb.body == "0123456789");
  CHECK(cb.bodyPieces == 3);
  CHECK(cb.completes == 1);
}

TEST_CASE("request: truncated body reported by finish()", "[http1][request]") {
  RecordingRequestCallbacks cb;
  auto d = createRequestDecoder(cb, kLimits);
  REQUIRE(d->decode("PUT /x HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n0123").status ==
          DecodeStatus::Ok);
  auto r = d->finish();
  CHECK(r.status == DecodeStatus::Error);
  CHECK(r.errorStatus == 400);
}

TEST_CASE("request: finish() between messages is clean", "[http1][request]") {
  RecordingRequestCallbacks cb;
  auto d = createRequestDecoder(cb, kLimits);
  CHECK(d->finish().status == DecodeStatus::Ok);
}

TEST_CASE("request: keep-alive rules for HTTP/1.0 and HTTP/1.1", "[http1][request]") {
  struct Case {
    const char* wire;
    bool keepAlive;
  };
  const Case cases[] = {
      {"GET / HTTP/1.1\r\nHost: h\r\n\r\n", true},
      {"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", false},
      {"GET / HTTP/1.1\r\nHost: h\r\nConnection: Keep-Alive, Close\r\n\r\n", false},
      {"GET / HTTP/1.0\r\n\r\n", false},
      {"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true},
      {"GET / HTTP/1.0\r\nHost: h\r\nConnection: close\r\n\r\n", false},
  };
  for (const auto& c : cases) {
    RecordingRequestCallbacks cb;
    auto d = createRequestDecoder(cb, kLimits);
    INFO(c.wire);
    REQUIRE(d->decode(c.wire).status == DecodeStatus::MessageComplete);
    REQUIRE(cb.heads.size() == 1);
    CHECK(cb.heads[0].keepAlive == c.keepAlive);
  }
}

TEST_CASE("request: HTTP/1.0 without Host is accepted", "[http1][request]") {
  RecordingRequestCallbacks cb;
  auto d = createRequestDecoder(cb, kLimits);
  REQUIRE(d->decode("GET / HTTP/1.0\r\n\r\n").status == DecodeStatus::MessageComplete);
  CHECK(cb.heads[0].versionMinor == 0);
}

TEST_CASE("request: Expect: 100-continue", "[http1][request]") {
  RecordingRequestCallbacks cb;
  auto d = createRequestDecoder(cb, kLimits);
  auto r = d->decode("POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\n"
                     "Content-Length: 2\r\n\r\n");
  CHECK(r.status == DecodeStatus::Ok);
  REQUIRE(cb.heads.size() == 1);
  CHECK(cb.heads[0].expectContinue);
  // The head is delivered before any body byte: the proxy can answer 100 Continue now.
  CHECK(d->decode("ok").status == DecodeStatus::MessageComplete);
  CHECK(cb.body == "ok");
}

TEST_CASE("request: WebSocket upgrade returns Upgrade after the head", "[http1][request]") {
  RecordingRequestCallbacks cb;
  auto d = createRequestDecoder(cb, kLimits);
  std::string head = "GET /chat HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Upgrade\r\n"
                     "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
  std::string wire = head + "\x81\x05hello";
  auto r = d->decode(wire);
  REQUIRE(r.status == DecodeStatus::Upgrade);
  CHECK(r.consumed == head.size());
  REQUIRE(cb.heads.size() == 1);
  CHECK(cb.heads[0].upgrade);
  CHECK(cb.completes == 1);
  // The decoder is done: tunnel bytes are not HTTP.
  CHECK(d->decode("more").status == DecodeStatus::Error);
}

TEST_CASE("request: upgrade byte by byte", "[http1][request]") {
  RecordingRequestCallbacks cb;
  auto d = createRequestDecoder(cb, kLimits);
  std::string wire = "GET / HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\nUpgrade: h2c\r\n\r\n";
  auto r = feedBytewise(*d, wire);
  CHECK(r.status == DecodeStatus::Upgrade);
  CHECK(r.consumed == 1);
}

TEST_CASE("request: upgrade with a body returns Upgrade after the body", "[http1][request]") {
  RecordingRequestCallbacks cb;
  auto d = createRequestDecoder(cb, kLimits);
  std::string msg = "POST / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: foo\r\n"
                    "Content-Length: 3\r\n\r\nabc";
  auto r = d->decode(msg + "TUNNEL");
  REQUIRE(r.status == DecodeStatus::Upgrade);
  CHECK(r.consumed == msg.size());
  CHECK(cb.body == "abc");
}

TEST_CASE("request: Upgrade header without Connection: upgrade is a normal request",
          "[http1][request]") {
  RecordingRequestCallbacks cb;
  auto d = createRequestDecoder(cb, kLimits);
  auto r = d->decode("GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n");
  CHECK(r.status == DecodeStatus::MessageComplete);
  CHECK_FALSE(cb.heads[0].upgrade);
}

TEST_CASE("request: CONNECT is rejected with 405", "[http1][request]") {
  RecordingRequestCallbacks cb;
  auto d = createRequestDecoder(cb, kLimits);
  auto r = d->decode("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n");
  CHECK(r.status == DecodeStatus::Error);
  CHECK(r.errorStatus == 405);
  CHECK(cb.heads.empty());
}

TEST_CASE("request: absolute-form target takes the host from the target", "[http1][request]") {
  RecordingRequestCallbacks cb;
  auto d = createRequestDecoder(cb, kLimits);
  auto r = d->decode("GET http://api.example.com:8080/v1/x?q=1 HTTP/1.1\r\nHost: other\r\n\r\n");
  REQUIRE(r.status == DecodeStatus::MessageComplete);
  const auto& h = cb.heads[0];
  CHECK(h.path == "/v1/x");
  CHECK(h.rawQuery == "q=1");
  CHECK(h.headers.count("host") == 1);
  CHECK(h.headers.get("host") == "api.example.com:8080");
}

TEST_CASE("request: absolute-form without a path and without Host", "[http1][request]") {
  RecordingRequestCallbacks cb;
  auto d = createRequestDecoder(cb, kLimits);
  REQUIRE(d->decode("GET HTTPS://h.example HTTP/1.1\r\n\r\n").status ==
          DecodeStatus::MessageComplete);
  CHECK(cb.heads[0].path == "/");
  CHECK(cb.heads[0].headers.get("Host") == "h.example");
}

TEST_CASE("request: OPTIONS * is accepted, GET * is not", "[http1][request]") {
  RecordingRequestCallbacks cb;
  auto d = createRequestDecoder(cb, kLimits);
  REQUIRE(d->decode("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n").status ==
          DecodeStatus::MessageComplete);
  CHECK(cb.heads[0].path == "*");
  auto d2 = createRequestDecoder(cb, kLimits);
  CHECK(d2->decode("GET * HTTP/1.1\r\nHost: h\r\n\r\n").errorStatus == 400);
}

TEST_CASE("request: data after a Connection: close request is ignored", "[http1][request]") {
  RecordingRequestCallbacks cb;
  auto d = createRequestDecoder(cb, kLimits);
  std::string first = "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
  auto r = d->decode(first + "GET /2 HTTP/1.1\r\nHost: h\r\n\r\n");
  REQUIRE(r.status == DecodeStatus::MessageComplete);
  CHECK(r.consumed == first.size());
  CHECK_FALSE(cb.heads[0].keepAlive);
}

TEST_CASE("request: limits: long target -> 414", "[http1][request][limits]") {
  RecordingRequestCallbacks cb;
  DecoderLimits limits;
  limits.maxRequestLineBytes = 64;
  auto d = createRequestDecoder(cb, limits);
  std::string wire = "GET /" + std::string(64, 'a') + " HTTP/1.1\r\nHost: h\r\n\r\n";
  auto r = feedBytewise(*d, wire);  // Enforced incrementally.
  CHECK(r.status == DecodeStatus::Error);
  CHECK(r.errorStatus == 414);
}

TEST_CASE("request: limits: target at the limit is fine", "[http1][request][limits]") {
  RecordingRequestCallbacks cb;
  DecoderLimits limits;
  limits.maxRequestLineBytes = 64;
  auto d = createRequestDecoder(cb, limits);
  std::string wire = "GET /" + std::string(63, 'a') + " HTTP/1.1\r\nHost: h\r\n\r\n";
  CHECK(d->decode(wire).status == DecodeStatus::MessageComplete);
}

TEST_CASE("request: limits: too many header bytes -> 431", "[http1][request][limits]") {
  RecordingRequestCallbacks cb;
  DecoderLimits limits;
  limits.maxHeaderBytes = 100;
  auto d = createRequestDecoder(cb, limits);
  // The error comes while the value is still arriving: no need for the end of the head.
  auto r = d->decode("GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + std::string(200, 'v'));
  CHECK(r.status == DecodeStatus::Error);
  CHECK(r.errorStatus == 431);
}

TEST_CASE("request: limits: huge header name -> 431", "[http1][request][limits]") {
  RecordingRequestCallbacks cb;
  DecoderLimits limits;
  limits.maxHeaderBytes = 100;
  auto d = createRequestDecoder(cb, limits);
  auto r = feedBytewise(*d, "GET / HTTP/1.1\r\n" + std::string(500, 'N'));
  CHECK(r.status == DecodeStatus::Error);
  CHECK(r.errorStatus == 431);
}

TEST_CASE("request: limits: too many headers -> 431", "[http1][request][limits]") {
  RecordingRequestCallbacks cb;
  DecoderLimits limits;
  limits.maxHeaderCount = 5;
  auto d = createRequestDecoder(cb, limits);
  std::string wire = "GET / HTTP/1.1\r\nHost: h\r\n";
  for (int i = 0; i < 5; ++i) {
    wire += "X-" + std::to_string(i) + ": v\r\n";
  }
  auto r = d->decode(wire);
  CHECK(r.status == DecodeStatus::Error);
  CHECK(r.errorStatus == 431);
}

TEST_CASE("request: limits: exactly maxHeaderCount headers is fine", "[http1][request][limits]") {
  RecordingRequestCallbacks cb;
  DecoderLimits limits;
  limits.maxHeaderCount = 5;
  auto d = createRequestDecoder(cb, limits);
  std::string wire = "GET / HTTP/1.1\r\nHost: h\r\n";
  for (int i = 0; i < 4; ++i) {
    wire += "X-" + std::to_string(i) + ": v\r\n";
  }
  CHECK(d->decode(wire + "\r\n").status == DecodeStatus::MessageComplete);
}

TEST_CASE("request: unsupported HTTP version -> 505 or 400", "[http1][request]") {
  RecordingRequestCallbacks cb;
  auto d = createRequestDecoder(cb, kLimits);
  auto r = d->decode("GET / HTTP/2.0\r\nHost: h\r\n\r\n");
  CHECK(r.status == DecodeStatus::Error);
  CHECK((r.errorStatus == 505 || r.errorStatus == 400));
}

TEST_CASE("request: HTTP/2 preface is an error", "[http1][request]") {
  RecordingRequestCallbacks cb;
  auto d = createRequestDecoder(cb, kLimits);
  auto r = d->decode("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
  CHECK(r.status == DecodeStatus::Error);
  CHECK(r.errorStatus == 400);
}

TEST_CASE("request: an error is sticky", "[http1][request]") {
  RecordingRequestCallbacks cb;
  auto d = createRequestDecoder(cb, kLimits);
  auto r = d->decode("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n");
  REQUIRE(r.status == DecodeStatus::Error);
  auto again = d->decode("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  CHECK(again.status == DecodeStatus::Error);
  CHECK(again.errorReason == r.errorReason);
}
