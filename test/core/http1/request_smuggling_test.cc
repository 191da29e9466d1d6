// One named test per request-smuggling defence. Each wire is also fed byte by byte, so the
// check does not depend on how the bytes are split.

#include <catch2/catch.hpp>

#include "core/http1/recording_callbacks.h"
#include "gateway/http1/codec.h"

using namespace gateway;
using namespace gateway::http1;
using gateway::http1::test::feedBytewise;
using gateway::http1::test::RecordingRequestCallbacks;

namespace {

// Decodes `wire` whole and byte by byte; both must fail with `status`. Returns the reason.
std::string expectRejected(const std::string& wire, int status = 400) {
  RecordingRequestCallbacks cb;
  auto whole = createRequestDecoder(cb, DecoderLimits{});
  DecodeResult r = whole->decode(wire);
  INFO("reason: " << r.errorReason);
  CHECK(r.status == DecodeStatus::Error);
  CHECK(r.errorStatus == status);
  CHECK_FALSE(r.errorReason.empty());

  RecordingRequestCallbacks cb2;
  auto bytewise = createRequestDecoder(cb2, DecoderLimits{});
  DecodeResult rb = feedBytewise(*bytewise, wire);
  INFO("bytewise reason: " << rb.errorReason);
  CHECK(rb.status == DecodeStatus::Error);
  CHECK(rb.errorStatus == status);
  return r.errorReason;
}

} // namespace

TEST_CASE("smuggling: Transfer-Encoding together with Content-Length", "[http1][smuggling]") {
  auto reason = expectRejected("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
                               "Content-Length: 5\r\n\r\n0\r\n\r\n");
  CHECK(reason == "Transfer-Encoding together with Content-Length");
  expectRejected("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n"
                 "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
}

TEST_CASE("smuggling: differing duplicate Content-Length", "[http1][smuggling]") {
  auto reason = expectRejected("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n"
                               "Content-Length: 6\r\n\r\nhello!");
  CHECK(reason == "multiple Content-Length headers");
}

TEST_CASE("smuggling: identical duplicate Content-Length is rejected too", "[http1][smuggling]") {
  expectRejected("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n"
                 "hello");
}

TEST_CASE("smuggling: Content-Length list in one field", "[http1][smuggling]") {
  expectRejected("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 5\r\n\r\nhello");
}

TEST_CASE("smuggling: Content-Length not a plain decimal", "[http1][smuggling]") {
  for (const char* v : {"+5", "-5", "0x5", "5 5", "five", "", "99999999999999999999"}) {
    INFO(v);
    expectRejected(std::string("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: ") + v +
                   "\r\n\r\nhello");
  }
}

TEST_CASE("smuggling: bad chunk size", "[http1][smuggling]") {
  for (const char* size : {"g", "0x5", " 5", "5 ", "-5", "fffffffffffffffffffff"}) {
    INFO(size);
    expectRejected(std::string("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n") +
                   size + "\r\nhello\r\n0\r\n\r\n");
  }
}

TEST_CASE("smuggling: chunk size line ended by bare LF", "[http1][smuggling]") {
  expectRejected("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "5\nhello\r\n0\r\n\r\n");
}

TEST_CASE("smuggling: chunk data not followed by CRLF", "[http1][smuggling]") {
  auto reason = expectRejected("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                               "5\r\nhelloXX0\r\n\r\n");
  CHECK(reason == "chunk data not followed by CRLF");
  expectRejected("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "5\r\nhello\r0\r\n\r\n");
}

TEST_CASE("smuggling: garbage in chunk extensions", "[http1][smuggling]") {
  expectRejected("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "5;\x01\r\nhello\r\n0\r\n\r\n");
  expectRejected("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "5 garbage\r\nhello\r\n0\r\n\r\n");
  expectRejected("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "5;a=\"unterminated\r\nhello\r\n0\r\n\r\n");
}

TEST_CASE("smuggling: oversized chunk extensions", "[http1][smuggling]") {
  expectRejected("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "5;a=" + std::string(5000, 'x') + "\r\nhello\r\n0\r\n\r\n");
}

TEST_CASE("smuggling: obs-fold in a header", "[http1][smuggling]") {
  auto reason = expectRejected("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\r\n b\r\n\r\n");
  CHECK(reason == "obs-fold (line folding) in header field");
  expectRejected("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\r\n\tb\r\n\r\n");
  expectRejected("GET / HTTP/1.1\r\nHost: h\r\nX-A:\r\n b\r\n\r\n");
  // The classic: hide Content-Length in a folded line.
  expectRejected("POST / HTTP/1.1\r\nHost: h\r\n Content-Length: 5\r\n\r\nhello");
}

TEST_CASE("smuggling: leading whitespace on the first header line", "[http1][smuggling]") {
  expectRejected("GET / HTTP/1.1\r\n Host: h\r\n\r\n");
}

TEST_CASE("smuggling: NUL in a header value", "[http1][smuggling]") {
  expectRejected(std::string("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\0b\r\n\r\n", 37));
}

TEST_CASE("smuggling: bare CR in a header value", "[http1][smuggling]") {
  expectRejected("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\rb\r\n\r\n");
  expectRejected("GET / HTTP/1.1\r\nHost: h\rX-A: b\r\n\r\n");
}

TEST_CASE("smuggling: bare LF as header line end", "[http1][smuggling]") {
  expectRejected("GET / HTTP/1.1\r\nHost: h\nX-A: b\r\n\r\n");
}

TEST_CASE("smuggling: control character in a header value", "[http1][smuggling]") {
  expectRejected("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\x01z\r\n\r\n");
  expectRejected("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\x7fz\r\n\r\n");
}

TEST_CASE("smuggling: Transfer-Encoding final coding not chunked", "[http1][smuggling]") {
  expectRejected("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\nabc");
  expectRejected("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\nabc");
  expectRejected("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
                 "Transfer-Encoding: identity\r\n\r\n0\r\n\r\n");
  expectRejected("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunkedx\r\n\r\n0\r\n\r\n");
  expectRejected("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:\r\n\r\n");
}

TEST_CASE("smuggling: chunked applied twice", "[http1][smuggling]") {
  expectRejected("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked\r\n\r\n"
                 "0\r\n\r\n");
}

TEST_CASE("smuggling: coding other than chunked before chunked -> 501", "[http1][smuggling]") {
  auto reason = expectRejected("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n"
                               "\r\n0\r\n\r\n",
                               501);
  CHECK(reason.find("unsupported transfer coding") != std::string::npos);
}

TEST_CASE("smuggling: Transfer-Encoding in HTTP/1.0", "[http1][smuggling]") {
  auto reason = expectRejected("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
  CHECK(reason == "Transfer-Encoding in an HTTP/1.0 request");
}

TEST_CASE("smuggling: whitespace between header name and colon", "[http1][smuggling]") {
  auto reason = expectRejected("GET / HTTP/1.1\r\nHost : h\r\n\r\n");
  CHECK(reason == "whitespace between header name and colon");
  expectRejected("POST / HTTP/1.1\r\nHost: h\r\nContent-Length\t: 5\r\n\r\nhello");
}

TEST_CASE("smuggling: invalid header name characters", "[http1][smuggling]") {
  expectRejected("GET / HTTP/1.1\r\nHost: h\r\nX(A): b\r\n\r\n");
  expectRejected("GET / HTTP/1.1\r\nHost: h\r\nX\x01: b\r\n\r\n");
  expectRejected("GET / HTTP/1.1\r\nHost: h\r\n: empty-name\r\n\r\n");
}

TEST_CASE("smuggling: missing Host in HTTP/1.1", "[http1][smuggling]") {
  auto reason = expectRejected("GET / HTTP/1.1\r\nX-A: b\r\n\r\n");
  CHECK(reason == "missing Host header");
}

TEST_CASE("smuggling: multiple Host headers", "[http1][smuggling]") {
  auto reason = expectRejected("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n");
  CHECK(reason == "multiple Host headers");
}

TEST_CASE("smuggling: absolute-form with userinfo or without host", "[http1][smuggling]") {
  expectRejected("GET http://user@h/ HTTP/1.1\r\nHost: h\r\n\r\n");
  expectRejected("GET http:///p HTTP/1.1\r\nHost: h\r\n\r\n");
  expectRejected("GET ftp://h/p HTTP/1.1\r\nHost: h\r\n\r\n");
}

TEST_CASE("smuggling: fragment in the request target", "[http1][smuggling]") {
  expectRejected("GET /a#b HTTP/1.1\r\nHost: h\r\n\r\n");
}
