#include <catch2/catch.hpp>

#include "core/http1/recording_callbacks.h"
#include "gateway/http1/codec.h"

using namespace gateway;
using namespace gateway::http1;
using gateway::http1::test::feedBytewise;
using gateway::http1::test::RecordingResponseCallbacks;

namespace {
const DecoderLimits kLimits{};
}

TEST_CASE("response: Content-Length body", "[http1][response]") {
  RecordingResponseCallbacks cb;
  auto d = createResponseDecoder(cb, kLimits);
  d->expectResponseTo("GET");
  std::string wire = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello";
  auto r = d->decode(wire);
  REQUIRE(r.status == DecodeStatus::MessageComplete);
  CHECK(r.consumed == wire.size());
  REQUIRE(cb.heads.size() == 1);
  CHECK(cb.heads[0].status == 200);
  CHECK(cb.heads[0].reason == "OK");
  CHECK(cb.heads[0].framing == http::BodyFraming::ContentLength);
  CHECK(cb.heads[0].contentLength == 5);
  CHECK(cb.heads[0].keepAlive);
  CHECK(cb.body == "hello");
  CHECK(cb.completes == 1);
}

TEST_CASE("response: HEAD response has no body", "[http1][response]") {
  RecordingResponseCallbacks cb;
  auto d = createResponseDecoder(cb, kLimits);
  d->expectResponseTo("HEAD");
  std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n";
  auto r = d->decode(head + "HTTP/1.1 204 No Content\r\n\r\n");
  REQUIRE(r.status == DecodeStatus::MessageComplete);
  CHECK(r.consumed == head.size());
  CHECK(cb.heads[0].framing == http::BodyFraming::None);
  CHECK(cb.heads[0].headers.get("Content-Length") == "1000");  // Forwarded as is.
  CHECK(cb.heads[0].keepAlive);
  CHECK(cb.body.empty());
}

TEST_CASE("response: HEAD response with chunked header has no body", "[http1][response]") {
  RecordingResponseCallbacks cb;
  auto d = createResponseDecoder(cb, kLimits);
  d->expectResponseTo("HEAD");
  auto r = d->decode("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
  CHECK(r.status == DecodeStatus::MessageComplete);
  CHECK(cb.heads[0].framing == http::BodyFraming::None);
}

TEST_CASE("response: 204 and 304 have no body", "[http1][response]") {
  for (const char* status : {"204 No Content", "304 Not Modified"}) {
    RecordingResponseCallbacks cb;
    auto d = createResponseDecoder(cb, kLimits);
    d->expectResponseTo("GET");
    std::string head = std::string("HTTP/1.1 ") + status + "\r\nContent-Length: 4\r\n\r\n";
    auto r = d->decode(head + "HTTP/1.1 200 OK\r\n");
    INFO(status);
    REQUIRE(r.status == DecodeStatus::MessageComplete);
    CHECK(r.consumed == head.size());
    CHECK(cb.heads[0].framing == http::BodyFraming::None);
    CHECK(cb.body.empty());
  }
}

TEST_CASE("response: 100 Continue then 200", "[http1][response]") {
  RecordingResponseCallbacks cb;
  auto d = createResponseDecoder(cb, kLimits);
  d->expectResponseTo("POST");
  std::string wire = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n"
                     "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  auto r = d->decode(wire);
  REQUIRE(r.status == DecodeStatus::MessageComplete);
  CHECK(r.consumed == wire.size());
  REQUIRE(cb.informational.size() == 2);
  CHECK(cb.informational[0].status == 100);
  CHECK(cb.informational[1].status == 103);
  CHECK(cb.informational[1].headers.get("link") == "</s.css>");
  REQUIRE(cb.heads.size() == 1);
  CHECK(cb.heads[0].status == 200);
  CHECK(cb.body == "ok");
  CHECK(cb.completes == 1);
}

TEST_CASE("response: 1xx then 200 byte by byte", "[http1][response]") {
  RecordingResponseCallbacks cb;
  auto d = createResponseDecoder(cb, kLimits);
  auto r = feedBytewise(*d, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  CHECK(r.status == DecodeStatus::MessageComplete);
  CHECK(cb.informational.size() == 1);
  CHECK(cb.body == "ok");
}

TEST_CASE("response: 101 Switching Protocols -> Upgrade", "[http1][response]") {
  RecordingResponseCallbacks cb;
  auto d = createResponseDecoder(cb, kLimits);
  d->expectResponseTo("GET");
  std::string head = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\n\r\n";
  auto r = d->decode(head + "\x81\x02hi");
  REQUIRE(r.status == DecodeStatus::Upgrade);
  CHECK(r.consumed == head.size());
  REQUIRE(cb.heads.size() == 1);
  CHECK(cb.heads[0].status == 101);
  CHECK(cb.informational.empty());
}

TEST_CASE("response: chunked body", "[http1][response]") {
  RecordingResponseCallbacks cb;
  auto d = createResponseDecoder(cb, kLimits);
  d->expectResponseTo("GET");
  std::string wire = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "4\r\nWiki\r\n5;x=y\r\npedia\r\n0\r\nExpires: never\r\n\r\n";
  auto r = feedBytewise(*d, wire);
  CHECK(r.status == DecodeStatus::MessageComplete);
  CHECK(cb.heads[0].framing == http::BodyFraming::Chunked);
  CHECK(cb.body == "Wikipedia");
  CHECK(cb.completes == 1);
}

TEST_CASE("response: until-close body completed by finish()", "[http1][response]") {
  RecordingResponseCallbacks cb;
  auto d = createResponseDecoder(cb, kLimits);
  d->expectResponseTo("GET");
  REQUIRE(d->decode("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nsome ").status ==
          DecodeStatus::Ok);
  REQUIRE(cb.heads.size() == 1);
  CHECK(cb.heads[0].framing == http::BodyFraming::UntilClose);
  CHECK_FALSE(cb.heads[0].keepAlive);
  CHECK(d->decode("data").status == DecodeStatus::Ok);
  CHECK(cb.completes == 0);
  auto r = d->finish();
  CHECK(r.status == DecodeStatus::MessageComplete);
  CHECK(cb.body == "some data");
  CHECK(cb.completes == 1);
}

TEST_CASE("response: HTTP/1.0 keep-alive rules", "[http1][response]") {
  RecordingResponseCallbacks cb;
  auto d = createResponseDecoder(cb, kLimits);
  REQUIRE(d->decode("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").status ==
          DecodeStatus::MessageComplete);
  CHECK_FALSE(cb.heads[0].keepAlive);
  RecordingResponseCallbacks cb2;
  auto d2 = createResponseDecoder(cb2, kLimits);
  REQUIRE(d2->decode("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n")
              .status == DecodeStatus::MessageComplete);
  CHECK(cb2.heads[0].keepAlive);
  RecordingResponseCallbacks cb3;
  auto d3 = createResponseDecoder(cb3, kLimits);
  REQUIRE(d3->decode("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n").status ==
          DecodeStatus::MessageComplete);
  CHECK_FALSE(cb3.heads[0].keepAlive);
}

TEST_CASE("response: keep-alive connection carries two responses", "[http1][response]") {
  RecordingResponseCallbacks cb;
  auto d = createResponseDecoder(cb, kLimits);
  d->expectResponseTo("GET");
  std::string first = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na";
  std::string second = "HTTP/1.1 404 Not Found\r\nContent-Length: 1\r\n\r\nb";
  auto r = d->decode(first + second);
  REQUIRE(r.status == DecodeStatus::MessageComplete);
  CHECK(r.consumed == first.size());
  d->resume();
  r = d->decode(std::string_view(first + second).substr(r.consumed));
  REQUIRE(r.status == DecodeStatus::MessageComplete);
  CHECK(cb.heads.size() == 2);
  CHECK(cb.heads[1].status == 404);
  CHECK(cb.body == "ab");
}

TEST_CASE("response: truncated Content-Length body -> 502", "[http1][response]") {
  RecordingResponseCallbacks cb;
  auto d = createResponseDecoder(cb, kLimits);
  REQUIRE(d->decode("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc").status == DecodeStatus::Ok);
  auto r = d->finish();
  CHECK(r.status == DecodeStatus::Error);
  CHECK(r.errorStatus == 502);
}

TEST_CASE("response: truncated chunked body -> 502", "[http1][response]") {
  RecordingResponseCallbacks cb;
  auto d = createResponseDecoder(cb, kLimits);
  REQUIRE(d->decode("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab").status ==
          DecodeStatus::Ok);
  CHECK(d->finish().errorStatus == 502);
}

TEST_CASE("response: truncated head -> 502", "[http1][response]") {
  RecordingResponseCallbacks cb;
  auto d = createResponseDecoder(cb, kLimits);
  REQUIRE(d->decode("HTTP/1.1 200 OK\r\nContent-Le").status == DecodeStatus::Ok);
  CHECK(d->messageInProgress());
  CHECK(d->finish().errorStatus == 502);
}

TEST_CASE("response: malformed responses -> 502", "[http1][response]") {
  const char* wires[] = {
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 3x\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
      "HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n",
      "HTTP/1.1 200 OK\r\nX : a\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXX0\r\n\r\n",
      "HTTP/2.0 200 OK\r\n\r\n",
      "garbage\r\n\r\n",
  };
  for (const char* w : wires) {
    RecordingResponseCallbacks cb;
    auto d = createResponseDecoder(cb, kLimits);
    auto r = d->decode(w);
    INFO(w << " -> " << r.errorReason);
    CHECK(r.status == DecodeStatus::Error);
    CHECK(r.errorStatus == 502);
  }
}

TEST_CASE("response: limits apply to response heads (502)", "[http1][response][limits]") {
  DecoderLimits limits;
  limits.maxHeaderBytes = 64;
  limits.maxHeaderCount = 3;
  limits.maxRequestLineBytes = 32;
  {
    RecordingResponseCallbacks cb;
    auto d = createResponseDecoder(cb, limits);
    auto r = d->decode("HTTP/1.1 200 OK\r\nX-Big: " + std::string(100, 'v'));
    CHECK(r.errorStatus == 502);
  }
  {
    RecordingResponseCallbacks cb;
    auto d = createResponseDecoder(cb, limits);
    auto r = d->decode("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n");
    CHECK(r.errorStatus == 502);
  }
  {
    RecordingResponseCallbacks cb;
    auto d = createResponseDecoder(cb, limits);
    auto r = feedBytewise(*d, "HTTP/1.1 200 " + std::string(100, 'R') + "\r\n\r\n");
    CHECK(r.errorStatus == 502);
  }
}
