#include <catch2/catch.hpp>

#include "core/http1/recording_callbacks.h"
#include "gateway/http1/codec.h"

using namespace gateway;
using namespace gateway::http1;
using gateway::http1::test::RecordingRequestCallbacks;
using gateway::http1::test::RecordingResponseCallbacks;

TEST_CASE("encoder: request head", "[http1][encoder]") {
  http::RequestHead head;
  head.method = "POST";
  head.path = "/a";
  head.rawQuery = "b=1";
  head.hasQuery = true;
  head.headers.add("Host", "up");
  head.headers.add("Content-Length", "3");
  std::string out = "prefix|";
  encodeRequestHead(head, out);
  CHECK(out == "prefix|POST /a?b=1 HTTP/1.1\r\nHost: up\r\nContent-Length: 3\r\n\r\n");
}

TEST_CASE("encoder: response head uses the default reason phrase", "[http1][encoder]") {
  http::ResponseHead head;
  head.status = 404;
  head.headers.add("Content-Length", "0");
  std::string out;
  encodeResponseHead(head, out);
  CHECK(out == "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");

  head.reason = "Nope";
  head.versionMinor = 0;
  out.clear();
  encodeResponseHead(head, out);
  CHECK(out == "HTTP/1.0 404 Nope\r\nContent-Length: 0\r\n\r\n");
}

TEST_CASE("encoder: chunks", "[http1][encoder]") {
  std::string out;
  encodeChunk("", out);
  CHECK(out.empty());
  encodeChunk(std::string(26, 'x'), out);
  CHECK(out == "1a\r\n" + std::string(26, 'x') + "\r\n");
  out.clear();
  encodeLastChunk(out);
  CHECK(out == "0\r\n\r\n");
}

TEST_CASE("encoder: request round-trips through the request decoder", "[http1][encoder]") {
  http::RequestHead head;
  head.method = "PUT";
  head.path = "/items/7";
  head.rawQuery = "";
  head.hasQuery = true;
  head.headers.add("Host", "svc.internal");
  head.headers.add("X-Mixed-Case", "Value With Spaces");
  head.headers.add("Transfer-Encoding", "chunked");
  std::string wire;
  encodeRequestHead(head, wire);
  encodeChunk("hello ", wire);
  encodeChunk("world", wire);
  encodeLastChunk(wire);

  RecordingRequestCallbacks cb;
  auto d = createRequestDecoder(cb, DecoderLimits{});
  auto r = d->decode(wire);
  REQUIRE(r.status == DecodeStatus::MessageComplete);
  CHECK(r.consumed == wire.size());
  REQUIRE(cb.heads.size() == 1);
  const auto& got = cb.heads[0];
  CHECK(got.method == "PUT");
  CHECK(got.target() == "/items/7?");
  CHECK(got.framing == http::BodyFraming::Chunked);
  REQUIRE(got.headers.size() == 3);
  CHECK(got.headers.fields()[1].name == "X-Mixed-Case");
  CHECK(got.headers.fields()[1].value == "Value With Spaces");
  CHECK(cb.body == "hello world");
}

TEST_CASE("encoder: response round-trips through the response decoder", "[http1][encoder]") {
  http::ResponseHead head;
  head.status = 201;
  head.headers.add("Content-Length", "2");
  head.headers.add("Set-Cookie", "a=1");
  head.headers.add("Set-Cookie", "b=2");
  std::string wire;
  encodeResponseHead(head, wire);
  wire += "ok";

  RecordingResponseCallbacks cb;
  auto d = createResponseDecoder(cb, DecoderLimits{});
  d->expectResponseTo("POST");
  auto r = d->decode(wire);
  REQUIRE(r.status == DecodeStatus::MessageComplete);
  REQUIRE(cb.heads.size() == 1);
  CHECK(cb.heads[0].status == 201);
  CHECK(cb.heads[0].reason == "Created");
  CHECK(cb.heads[0].headers.getAll("set-cookie").size() == 2);
  CHECK(cb.body == "ok");
}

TEST_CASE("header validity checks", "[http1][encoder]") {
  CHECK(isValidHeaderName("X-Request-Id"));
  CHECK(isValidHeaderName("!#$%&'*+-.^_`|~09azAZ"));
  CHECK_FALSE(isValidHeaderName(""));
  CHECK_FALSE(isValidHeaderName("X Space"));
  CHECK_FALSE(isValidHeaderName("X:Colon"));
  CHECK_FALSE(isValidHeaderName("X(Paren)"));
  CHECK_FALSE(isValidHeaderName("\xc3\xa9"));

  CHECK(isValidHeaderValue(""));
  CHECK(isValidHeaderValue("a\tb c"));
  CHECK(isValidHeaderValue("caf\xc3\xa9"));  // obs-text is allowed.
  CHECK_FALSE(isValidHeaderValue("a\r\nX-Injected: 1"));
  CHECK_FALSE(isValidHeaderValue("a\nb"));
  CHECK_FALSE(isValidHeaderValue(std::string("a\0b", 3)));
  CHECK_FALSE(isValidHeaderValue("a\x01"));
  CHECK_FALSE(isValidHeaderValue("a\x7f"));
}
