#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "gateway/proxy/request_state.h"
#include "proxy/access_log_line.h"
#include "proxy/local_reply.h"

using namespace gateway;
using namespace gateway::proxy;

TEST_CASE("LocalReply.kongMessages") {
  LocalReply r = makeJsonReply(404, messages::kNoRoute);
  CHECK(r.status == 404);
  CHECK(r.hasBody);
  CHECK(r.body == R"({"message":"no Route matched with those values"})");
  CHECK(r.headers.get("Content-Type") == "application/json; charset=utf-8");
  CHECK(makeDefaultReply(502).body ==
        R"({"message":"An invalid response was received from the upstream server"})");
  CHECK(makeDefaultReply(504).body == R"({"message":"The upstream server is timing out"})");
  CHECK(defaultMessage(413) == "Payload too large");
  CHECK(defaultMessage(418) == "The upstream server responded with 418");
}

TEST_CASE("LocalReply.escapesJson") {
  LocalReply r = makeJsonReply(500, "a \"quoted\"\n\\ \x01");
  auto j = nlohmann::json::parse(r.body);
  CHECK(j["message"] == "a \"quoted\"\n\\ \x01");
}

TEST_CASE("AccessLogLine.jsonFields") {
  RequestState s;
  s.clientIp = "127.0.0.1";
  s.request.method = "GET";
  s.request.path = "/p\"x";
  s.request.rawQuery = "a=1";
  s.bytesSent = 10;
  s.bytesReceived = 20;
  s.serviceStatus = 200;
  s.totalLatencyMs = 5;
  s.proxyLatencyMs = 1;
  s.upstreamLatencyMs = 3;
  config::Route route;
  route.id = "r-id";
  route.name = "r1";
  config::Service service;
  service.id = "s-id";
  s.route = &route;
  s.service = &service;
  AccessLogFields f;
  f.requestId = "abc";
  f.status = 200;
  f.upstream = "127.0.0.1:9000";
  std::string line;
  appendAccessLogLine(s, f, line);
  auto j = nlohmann::json::parse(line);
  CHECK(j["request_id"] == "abc");
  CHECK(j["client_ip"] == "127.0.0.1");
  CHECK(j["method"] == "GET");
  CHECK(j["path"] == "/p\"x");
  CHECK(j["query"] == "a=1");
  CHECK(j["status"] == 200);
  CHECK(j["bytes_sent"] == 10);
  CHECK(j["bytes_received"] == 20);
  CHECK(j["route"] == "r1");
  CHECK(j["service"] == "s-id");
  CHECK(j["upstream"] == "127.0.0.1:9000");
  CHECK(j["upstream_status"] == 200);
  CHECK(j["latencies"]["request"] == 5);
  CHECK(j["latencies"]["upstream"] == 3);
  CHECK(j["time"].get<std::string>().size() == 24);
}

TEST_CASE("AccessLogLine.nullsWhenUnrouted") {
  RequestState s;
  AccessLogFields f;
  f.status = 404;
  std::string line;
  appendAccessLogLine(s, f, line);
  auto j = nlohmann::json::parse(line);
  CHECK(j["route"].is_null());
  CHECK(j["service"].is_null());
  CHECK(j["upstream"].is_null());
  CHECK(j["upstream_status"].is_null());
}
