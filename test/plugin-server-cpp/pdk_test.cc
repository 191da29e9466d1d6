// PDK areas against a CallState: getters answer from the snapshot, setters record mutations and
// update the snapshot, lazy data goes through the Fetcher.
#include <catch2/catch.hpp>

#include "call_state.h"
#include "gantry_pdk/pdk.h"

using namespace gantry_pdk;

namespace {

struct ScriptedFetcher : detail::Fetcher {
  std::vector<FetchRequest> asked;
  FetchAnswer fetch(FetchRequest request) override {
    asked.push_back(request);
    if (std::holds_alternative<fetch::RequestBody>(request)) return std::string("fetched body");
    if (std::holds_alternative<fetch::NodeId>(request)) return std::string("node-1");
    if (auto* c = std::get_if<fetch::Consumer>(&request)) {
      if (c->idOrUsername == "alice") return Consumer{"c1", "alice", "", {}};
      return fetch::NotFound{"no"};
    }
    if (std::holds_alternative<fetch::IsTrustedIp>(request)) return true;
    return fetch::NotFound{"no"};
  }
  bool cancelled() const override { return false; }
};

PhaseInput sampleInput() {
  PhaseInput in;
  in.phase = Phase::Access;
  in.request.method = "POST";
  in.request.host = "example.com";
  in.request.port = 8000;
  in.request.path = "/a/b";
  in.request.rawQuery = "x=1&y=a%20b&x=2&flag";
  in.request.headers = {{"Host", "example.com:8000"}, {"X-Multi", "1"}, {"x-multi", "2"}};
  in.request.clientIp = "10.0.0.1";
  in.request.clientPort = 5555;
  in.shared = {{"n", "42"}, {"s", "\"str\""}};
  in.routeId = "r1";
  return in;
}

}  // namespace

TEST_CASE("Pdk: getters answer from the snapshot", "[pdk]") {
  ScriptedFetcher fetcher;
  detail::CallState state(sampleInput(), fetcher);
  Pdk kong(state, 7);
  CHECK(kong.request.method() == "POST");
  CHECK(kong.request.host() == "example.com");
  CHECK(kong.request.port() == 8000);
  CHECK(kong.request.pathWithQuery() == "/a/b?x=1&y=a%20b&x=2&flag");
  CHECK(kong.request.header("HOST") == "example.com:8000");
  CHECK(kong.request.header("x-multi") == "1");
  CHECK_FALSE(kong.request.header("missing").has_value());
  CHECK(kong.request.headerMap()["x-multi"] == std::vector<std::string>{"1", "2"});
  CHECK(kong.request.queryArg("y") == "a b");
  CHECK(kong.request.query()["x"] == std::vector<std::string>{"1", "2"});
  CHECK(kong.request.queryArg("flag") == "");
  CHECK_FALSE(kong.request.queryArg("nope").has_value());
  CHECK(kong.client.ip() == "10.0.0.1");
  CHECK(kong.client.port() == 5555);
  CHECK_FALSE(kong.client.consumer().has_value());
  CHECK(kong.ctx.shared("n") == nlohmann::json(42));
  CHECK(kong.ctx.shared("s") == nlohmann::json("str"));
  CHECK_FALSE(kong.ctx.shared("none").has_value());
  CHECK(kong.router.routeId() == "r1");
  CHECK(kong.response.status() == 0);
  CHECK(fetcher.asked.empty());  // No round trip for any of these.
}

TEST_CASE("Pdk: setters record mutations and update the snapshot", "[pdk]") {
  ScriptedFetcher fetcher;
  detail::CallState state(sampleInput(), fetcher);
  state.beginInstance(7);
  Pdk kong(state, 7);
  kong.serviceRequest.setHeader("x-multi", "only");
  kong.serviceRequest.addHeader("X-New", "n");
  kong.serviceRequest.clearHeader("host");
  kong.serviceRequest.setPath("/up");
  kong.response.setHeader("x-resp", "r");
  kong.ctx.setShared("k", {{"a", 1}});
  kong.log.info("value=", 3);
  kong.service.setTarget("10.1.1.1", 9000);
  kong.client.authenticate(Consumer{"c9", "bob", "", {}}, std::nullopt);

  CHECK(kong.request.header("x-multi") == "only");
  CHECK(kong.request.headerMap()["x-multi"].size() == 1);
  CHECK(kong.request.header("x-new") == "n");
  CHECK_FALSE(kong.request.header("host").has_value());
  CHECK(kong.request.path() == "/a/b");  // As received; set_path changes the upstream request.
  CHECK(kong.response.header("X-Resp") == "r");
  CHECK(kong.ctx.shared("k") == nlohmann::json{{"a", 1}});
  REQUIRE(kong.client.consumer());
  CHECK(kong.client.consumer()->username == "bob");

  const auto& m = state.mutations();
  REQUIRE(m.size() == 9);
  for (const Mutation& mu : m) {
    CHECK(mu.instanceId == 7);
  }
  auto* h = std::get_if<mutation::RequestHeader>(&m[0].op);
  REQUIRE(h);
  CHECK(h->action == HeaderAction::Set);
  CHECK(h->name == "x-multi");
  CHECK(std::get<mutation::RequestPath>(m[3].op).path == "/up");
  CHECK(std::get<mutation::SharedSet>(m[5].op).jsonValue == R"({"a":1})");
  CHECK(std::get<mutation::Log>(m[6].op).message == "value=3");
  CHECK(std::get<mutation::Target>(m[7].op).port == 9000);
}

TEST_CASE("Pdk: exit ends recording; later setters are ignored", "[pdk]") {
  ScriptedFetcher fetcher;
  detail::CallState state(sampleInput(), fetcher);
  Pdk kong(state, 1);
  kong.response.exitJson(403, {{"message", "no"}}, {{"X-Why", "test"}});
  kong.response.setHeader("x-after", "1");
  CHECK(state.exited());
  REQUIRE(state.mutations().size() == 1);
  const auto& exit = std::get<mutation::Exit>(state.mutations()[0].op);
  CHECK(exit.status == 403);
  CHECK(exit.body == R"({"message":"no"})");
  REQUIRE(exit.headers.size() == 2);
  CHECK(exit.headers[1].name == "Content-Type");
}

TEST_CASE("Pdk: lazy data is fetched once and cached", "[pdk]") {
  ScriptedFetcher fetcher;
  detail::CallState state(sampleInput(), fetcher);
  Pdk kong(state, 1);
  CHECK(kong.request.rawBody() == "fetched body");
  CHECK(kong.request.rawBody() == "fetched body");
  CHECK(kong.node.id() == "node-1");
  CHECK(kong.ip.isTrusted("1.2.3.4"));
  REQUIRE(kong.client.loadConsumer("alice", true));
  CHECK_FALSE(kong.client.loadConsumer("zed"));
  CHECK_FALSE(kong.router.route().has_value());
  CHECK(fetcher.asked.size() == 6);
}

TEST_CASE("Pdk: a body in the snapshot needs no fetch", "[pdk]") {
  ScriptedFetcher fetcher;
  PhaseInput in = sampleInput();
  in.request.body = "inline";
  detail::CallState state(std::move(in), fetcher);
  Pdk kong(state, 1);
  CHECK(kong.request.rawBody() == "inline");
  CHECK(fetcher.asked.empty());
}
