#include <catch2/catch.hpp>

#include "proxy/headers.h"

using namespace gateway;
using namespace gateway::proxy;

namespace {

headers::UpstreamHeadParams baseParams() {
  headers::UpstreamHeadParams p;
  p.method = "GET";
  p.path = "/s/x";
  p.host = "backend:8080";
  p.clientIp = "10.0.0.1";
  p.forwardedProto = "http";
  p.forwardedHost = "api.example.com";
  p.forwardedPort = 8000;
  p.forwardedPath = "/r/x";
  p.requestId = "00000000000000ab";
  return p;
}

// Parses "Name: value" lines of a serialized head into a HeaderMap (test helper).
http::HeaderMap parseFields(const std::string& head, std::string* requestLine = nullptr) {
  http::HeaderMap map;
  size_t pos = head.find("\r\n");
  if (requestLine != nullptr) {
    *requestLine = head.substr(0, pos);
  }
  pos += 2;
  while (pos < head.size()) {
    size_t end = head.find("\r\n", pos);
    if (end == pos) {
      break;
    }
    std::string line = head.substr(pos, end - pos);
    size_t colon = line.find(": ");
    map.add(line.substr(0, colon), line.substr(colon + 2));
    pos = end + 2;
  }
  return map;
}

} // namespace

TEST_CASE("Headers.hopByHopRemovedFromUpstreamRequest") {
  http::HeaderMap client;
  client.add("Host", "api.example.com");
  client.add("Connection", "keep-alive, X-Secret");
  client.add("Keep-Alive", "timeout=5");
  client.add("Proxy-Connection", "keep-alive");
  client.add("TE", "trailers");
  client.add("Trailer", "X-T");
  client.add("Transfer-Encoding", "chunked");
  client.add("Upgrade", "websocket");
  client.add("Proxy-Authorization", "Basic abc");
  client.add("X-Secret", "drop me");
  client.add("Expect", "100-continue");
  client.add("Content-Length", "99");
  client.add("Accept", "*/*");
  client.add("Authorization", "Bearer t");
  std::string out;
  auto p = baseParams();
  p.framing = headers::BodyFraming::Chunked;
  headers::buildUpstreamRequestHead(client, p, out);
  std::string line;
  auto h = parseFields(out, &line);
  CHECK(line == "GET /s/x HTTP/1.1");
  for (auto name : {"Connection", "Keep-Alive", "Proxy-Connection", "TE", "Trailer", "Upgrade",
                    "Proxy-Authorization", "X-Secret", "Expect", "Content-Length"}) {
    INFO(name);
    CHECK_FALSE(h.has(name));
  }
  CHECK(h.count("Transfer-Encoding") == 1);
  CHECK(h.get("Transfer-Encoding") == "chunked");
  CHECK(h.get("Accept") == "*/*");
  CHECK(h.get("Authorization") == "Bearer t");
  CHECK(h.get("Host") == "backend:8080");
  CHECK(out.substr(out.size() - 4) == "\r\n\r\n");
}

TEST_CASE("Headers.forwardedHeaders") {
  http::HeaderMap client;
  client.add("Host", "api.example.com:8000");
  client.add("X-Forwarded-For", "1.1.1.1");
  client.add("X-Forwarded-Proto", "https");  // Untrusted: replaced.
  client.add("X-Forwarded-Prefix", "/evil");
  client.add("X-Real-IP", "6.6.6.6");
  client.add("X-Gantry-Request-Id", "spoofed");
  std::string out;
  auto p = baseParams();
  p.forwardedPrefix = "/r";
  p.hasQuery = true;
  p.query = "a=1&b=2";
  headers::buildUpstreamRequestHead(client, p, out);
  std::string line;
  auto h = parseFields(out, &line);
  CHECK(line == "GET /s/x?a=1&b=2 HTTP/1.1");
  CHECK(h.get("X-Forwarded-For") == "1.1.1.1, 10.0.0.1");
  CHECK(h.count("X-Forwarded-Proto") == 1);
  CHECK(h.get("X-Forwarded-Proto") == "http");
  CHECK(h.get("X-Forwarded-Host") == "api.example.com");
  CHECK(h.get("X-Forwarded-Port") == "8000");
  CHECK(h.get("X-Forwarded-Path") == "/r/x");
  CHECK(h.get("X-Forwarded-Prefix") == "/r");
  CHECK(h.count("X-Forwarded-Prefix") == 1);
  CHECK(h.get("X-Real-IP") == "10.0.0.1");
  CHECK(h.get("X-Gantry-Request-Id") == "00000000000000ab");
  CHECK(h.count("X-Gantry-Request-Id") == 1);
  CHECK(h.get("Via") == "1.1 gantry/0.1.0");
}

TEST_CASE("Headers.noPrefixWithoutStripAndMultipleXff") {
  http::HeaderMap client;
  client.add("X-Forwarded-For", "1.1.1.1");
  client.add("X-Forwarded-For", "2.2.2.2");
  client.add("X-Forwarded-Prefix", "/client");
  std::string out;
  headers::buildUpstreamRequestHead(client, baseParams(), out);
  auto h = parseFields(out);
  CHECK_FALSE(h.has("X-Forwarded-Prefix"));
  CHECK(h.get("X-Forwarded-For") == "1.1.1.1, 2.2.2.2, 10.0.0.1");
}

TEST_CASE("Headers.viaAppendsAndUsesClientVersion") {
  http::HeaderMap client;
  client.add("Via", "1.0 fred");
  std::string out;
  auto p = baseParams();
  p.clientVersionMinor = 0;
  headers::buildUpstreamRequestHead(client, p, out);
  CHECK(parseFields(out).get("Via") == "1.0 fred, 1.0 gantry/0.1.0");

  out.clear();
  p.serverTokens = false;
  headers::buildUpstreamRequestHead(client, p, out);
  CHECK(parseFields(out).get("Via") == "1.0 fred");
}

TEST_CASE("Headers.upgradeForwarded") {
  http::HeaderMap client;
  client.add("Connection", "Upgrade");
  client.add("Upgrade", "websocket");
  client.add("Sec-WebSocket-Key", "k");
  std::string out;
  auto p = baseParams();
  p.upgrade = true;
  headers::buildUpstreamRequestHead(client, p, out);
  auto h = parseFields(out);
  CHECK(h.get("Upgrade") == "websocket");
  CHECK(h.get("Connection") == "upgrade");
  CHECK(h.get("Sec-WebSocket-Key") == "k");
}

TEST_CASE("Headers.contentLengthFraming") {
  http::HeaderMap client;
  client.add("Content-Length", "5");
  std::string out;
  auto p = baseParams();
  p.method = "POST";
  p.framing = headers::BodyFraming::ContentLength;
  p.contentLength = 12;
  headers::buildUpstreamRequestHead(client, p, out);
  auto h = parseFields(out);
  CHECK(h.count("Content-Length") == 1);
  CHECK(h.get("Content-Length") == "12");
}

TEST_CASE("Headers.upstreamHost") {
  upstream::Endpoint target{"10.0.0.5", 80};
  CHECK(headers::upstreamHost(target, nullptr, false, "client.com") == "10.0.0.5");
  target.port = 8080;
  CHECK(headers::upstreamHost(target, nullptr, false, "client.com") == "10.0.0.5:8080");
  CHECK(headers::upstreamHost(target, nullptr, true, "Client.com:8000") == "Client.com:8000");
  config::Upstream up;
  up.hostHeader = "svc.internal";
  CHECK(headers::upstreamHost(target, &up, false, "client.com") == "svc.internal");
  CHECK(headers::upstreamHost(target, &up, true, "client.com") == "client.com");
}

TEST_CASE("Headers.normalizeHost") {
  CHECK(headers::normalizeHost("Example.COM:8000") == "example.com");
  CHECK(headers::normalizeHost("example.com") == "example.com");
  CHECK(headers::normalizeHost("[::1]:80") == "[::1]");
  CHECK(headers::normalizeHost("") == "");
}

TEST_CASE("Headers.responseRewrite") {
  http::ResponseHead head;
  head.status = 200;
  head.headers.add("Connection", "close, X-Hop");
  head.headers.add("X-Hop", "1");
  head.headers.add("Keep-Alive", "timeout=5");
  head.headers.add("Transfer-Encoding", "chunked");
  head.headers.add("Proxy-Authenticate", "Basic");
  head.headers.add("Upgrade", "h2c");
  head.headers.add("Via", "1.1 other");
  head.headers.add("Server", "upstream/1");
  head.headers.add("X-App", "a");
  headers::ResponseParams p;
  p.requestId = "id1";
  p.upstreamLatencyMs = 7;
  p.proxyLatencyMs = 1;
  headers::rewriteUpstreamResponse(head, p);
  for (auto name : {"Connection", "X-Hop", "Keep-Alive", "Transfer-Encoding", "Proxy-Authenticate",
                    "Upgrade"}) {
    INFO(name);
    CHECK_FALSE(head.headers.has(name));
  }
  CHECK(head.headers.get("Via") == "1.1 other, 1.1 gantry/0.1.0");
  CHECK(head.headers.get("Server") == "upstream/1");
  CHECK(head.headers.get("X-Gantry-Request-Id") == "id1");
  CHECK(head.headers.get("X-Gantry-Upstream-Latency") == "7");
  CHECK(head.headers.get("X-Gantry-Proxy-Latency") == "1");
  CHECK(head.headers.get("X-App") == "a");
}

TEST_CASE("Headers.responseServerAddedWhenMissingAndLatencyOff") {
  http::ResponseHead head;
  headers::ResponseParams p;
  p.requestId = "id";
  p.latencyHeaders = false;
  headers::rewriteUpstreamResponse(head, p);
  CHECK(head.headers.get("Server") == "gantry/0.1.0");
  CHECK_FALSE(head.headers.has("X-Gantry-Upstream-Latency"));
}

TEST_CASE("Headers.clientFraming") {
  using F = headers::ClientFraming;
  CHECK(headers::chooseClientFraming("HEAD", 1, 200, http::BodyFraming::ContentLength) == F::NoBody);
  CHECK(headers::chooseClientFraming("GET", 1, 204, http::BodyFraming::None) == F::NoBody);
  CHECK(headers::chooseClientFraming("GET", 1, 304, http::BodyFraming::None) == F::NoBody);
  CHECK(headers::chooseClientFraming("GET", 1, 200, http::BodyFraming::Chunked) == F::Chunked);
  CHECK(headers::chooseClientFraming("GET", 0, 200, http::BodyFraming::Chunked) == F::UntilClose);
  CHECK(headers::chooseClientFraming("GET", 1, 200, http::BodyFraming::UntilClose) == F::Chunked);
  CHECK(headers::chooseClientFraming("GET", 1, 200, http::BodyFraming::ContentLength) ==
        F::ContentLength);

  http::ResponseHead head;
  head.headers.add("Content-Length", "3");
  headers::setClientFraming(head, F::Chunked, 0, true, 1, false);
  CHECK_FALSE(head.headers.has("Content-Length"));
  CHECK(head.headers.get("Transfer-Encoding") == "chunked");
  CHECK_FALSE(head.headers.has("Connection"));

  http::ResponseHead h10;
  headers::setClientFraming(h10, F::ContentLength, 5, true, 0, false);
  CHECK(h10.headers.get("Content-Length") == "5");
  CHECK(h10.headers.get("Connection") == "keep-alive");

  http::ResponseHead closing;
  headers::setClientFraming(closing, F::UntilClose, 0, true, 0, false);
  CHECK(closing.headers.get("Connection") == "close");
  CHECK_FALSE(closing.keepAlive);

  http::ResponseHead headResp;
  headResp.status = 200;
  headResp.headers.add("Content-Length", "42");
  headers::setClientFraming(headResp, F::NoBody, 0, true, 1, false);
  CHECK(headResp.headers.get("Content-Length") == "42");
}
