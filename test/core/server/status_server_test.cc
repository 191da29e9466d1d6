#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "core/event/stream_recorder.h"
#include "core/event/test_util.h"
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

namespace {

// Sends `request` to the status server on `port` and returns everything it answered.
std::string exchange(gateway::event::Dispatcher& d, uint16_t port, const std::string& request) {
  using namespace gateway::event;
  test::StreamRecorder rec;
  TcpStreamPtr stream;
  bool failed = false;
  auto connect = d.connectTcp("127.0.0.1", port, std::chrono::milliseconds(2000), 65536,
                              [&](gateway::StatusOr<TcpStreamPtr>&& s) {
                                if (!s.isOk()) {
                                  failed = true;
                                  return;
                                }
                                stream = std::move(s.value());
                                stream->setCallbacks(&rec);
                                stream->write(std::string(request));
                              });
  test::runUntil(d, [&] { return failed || rec.closed || rec.eof; });
  if (stream) {
    stream->setCallbacks(nullptr);
  }
  return rec.data;
}

} // namespace

TEST_CASE("StatusServer.serves /status over TCP", "[status]") {
  auto d = gateway::event::createDispatcher();
  StatusServer::Sources sources;
  sources.pluginCounters = [] { return std::string(R"({"phase_calls": 4})"); };
  sources.generation = [] { return uint64_t{2}; };
  sources.workers = [] { return size_t{1}; };
  sources.activeConnections = [&](std::function<void(size_t)> done) {
    d->post([done] { done(5); });  // Answers later, as the workers do.
  };
  auto server = StatusServer::start(*d, gateway::config::ListenAddress{"127.0.0.1", 0}, sources);
  REQUIRE(server.isOk());
  const uint16_t port = server.value()->port();
  REQUIRE(port != 0);

  std::string ok = exchange(*d, port, "GET /status HTTP/1.1\r\nHost: x\r\n\r\n");
  REQUIRE(ok.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(ok.find("Connection: close") != std::string::npos);
  auto body = nlohmann::json::parse(ok.substr(ok.find("\r\n\r\n") + 4));
  CHECK(body["server"]["connections_active"] == 5);
  CHECK(body["plugins"]["phase_calls"] == 4);
  CHECK(body["configuration_generation"] == 2);

  CHECK(exchange(*d, port, "GET /other HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 404", 0) == 0);
  CHECK(exchange(*d, port, "nonsense\r\n\r\n").rfind("HTTP/1.1 400", 0) == 0);
  CHECK(exchange(*d, port, std::string(9000, 'a')).rfind("HTTP/1.1 431", 0) == 0);
  server.value().reset();  // Closes cleanly with nothing in flight.
}
