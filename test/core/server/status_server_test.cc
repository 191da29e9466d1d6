#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "server/status_server.h"

using gateway::server::StatusServer;

TEST_CASE("StatusServer.route", "[status]") {
  CHECK(StatusServer::route("GET", "/status").status == 200);
  CHECK(StatusServer::route("GET", "/status").needsConnections);
  CHECK(StatusServer::route("GET", "/status?x=1").status == 200);
  CHECK(StatusServer::route("POST", "/status").status == 405);
  CHECK(StatusServer::route("GET", "/").status == 404);
  CHECK(StatusServer::route("GET", "/statusx").status == 404);
  CHECK_FALSE(StatusServer::route("GET", "/nope").needsConnections);
}

TEST_CASE("StatusServer.parseRequestLine", "[status]") {
  std::string_view method, target;
  REQUIRE(StatusServer::parseRequestLine("GET /status HTTP/1.1\r\nHost: x\r\n\r\n", method,
                                         target));
  CHECK(method == "GET");
  CHECK(target == "/status");
  CHECK_FALSE(StatusServer::parseRequestLine("GET /status\r\n\r\n", method, target));
  CHECK_FALSE(StatusServer::parseRequestLine("garbage\r\n\r\n", method, target));
  CHECK_FALSE(StatusServer::parseRequestLine("GET  HTTP/1.1\r\n\r\n", method, target));
  CHECK_FALSE(StatusServer::parseRequestLine("GET / SPDY/3\r\n\r\n", method, target));
}

TEST_CASE("StatusServer.render", "[status]") {
  auto j = nlohmann::json::parse(
      StatusServer::render(3, 2, R"({"requests_with_plugins": 5, "servers": {}})", 7));
  CHECK(j["server"]["connections_active"] == 3);
  CHECK(j["server"]["workers"] == 2);
  CHECK(j["plugins"]["requests_with_plugins"] == 5);
  CHECK(j["configuration_generation"] == 7);
  // Broken counters text never breaks the endpoint.
  auto k = nlohmann::json::parse(StatusServer::render(0, 1, "{broken", 1));
  CHECK(k["plugins"].is_object());
}
