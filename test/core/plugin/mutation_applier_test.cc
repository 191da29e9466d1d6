#include <catch2/catch.hpp>

#include "plugin/mutation_applier.h"

using namespace gateway;
using namespace gateway::plugin;

namespace {

config::ConfigSharedPtr testConfig() {
  auto c = std::make_shared<config::Config>();
  config::Consumer alice;
  alice.id = "c-alice";
  alice.username = "alice";
  c->consumers.push_back(alice);
  config::Upstream up;
  up.name = "backend";
  c->upstreams.push_back(up);
  return c;
}

struct Fixture {
  ConfigIndex index{testConfig()};
  proxy::RequestState state;
  google::protobuf::RepeatedPtrField<v1::Mutation> ms;
  ApplyOptions options;

  Fixture() {
    state.request.method = "GET";
    state.request.path = "/p";
    state.request.headers.add("Host", "example.com");
    state.request.headers.add("X-Keep", "1");
    state.response.headers.add("Server", "up");
    options.pluginName = [](uint64_t id) { return "plugin-" + std::to_string(id); };
  }
  v1::Mutation& add(uint64_t instance = 1) {
    auto* m = ms.Add();
    m->set_instance_id(instance);
    return *m;
  }
  ApplyResult apply(Phase phase) {
    options.phase = phase;
    return applyMutations(ms, state, index, options);
  }
};

void header(v1::HeaderMutation* h, v1::HeaderAction a, const char* n, const char* v = "") {
  h->set_action(a);
  h->set_name(n);
  h->set_value(v);
}

} // namespace

TEST_CASE("MutationApplier.requestHeadersInOrder", "[mutation_applier]") {
  Fixture f;
  header(f.add().mutable_request_header(), v1::HEADER_ACTION_ADD, "X-A", "1");
  header(f.add().mutable_request_header(), v1::HEADER_ACTION_ADD, "X-A", "2");
  header(f.add().mutable_request_header(), v1::HEADER_ACTION_SET, "X-Keep", "new");
  header(f.add().mutable_request_header(), v1::HEADER_ACTION_CLEAR, "Host");
  auto r = f.apply(Phase::Access);
  CHECK(r.applied == 4);
  CHECK(r.rejections.empty());
  CHECK(f.state.request.headers.getAll("x-a").size() == 2);
  CHECK(*f.state.request.headers.get("X-Keep") == "new");
  CHECK_FALSE(f.state.request.headers.has("Host"));
}

TEST_CASE("MutationApplier.removeThenAppend", "[mutation_applier]") {
  Fixture f;
  header(f.add().mutable_request_header(), v1::HEADER_ACTION_CLEAR, "X-Keep");
  header(f.add().mutable_request_header(), v1::HEADER_ACTION_ADD, "X-Keep", "2");
  f.apply(Phase::Rewrite);
  REQUIRE(f.state.request.headers.getAll("X-Keep").size() == 1);
  CHECK(*f.state.request.headers.get("X-Keep") == "2");
}

TEST_CASE("MutationApplier.rejectedMutationsAreNotAppliedAndReported", "[mutation_applier]") {
  Fixture f;
  header(f.add(7).mutable_request_header(), v1::HEADER_ACTION_SET, "X-Bad", "a\r\nInjected: 1");
  header(f.add(7).mutable_request_header(), v1::HEADER_ACTION_SET, "Transfer-Encoding", "chunked");
  header(f.add(7).mutable_request_header(), v1::HEADER_ACTION_SET, "Content-Length", "5");
  f.add(7).set_request_path("no-slash");
  f.add(7).set_request_method("GET X");
  f.add(7).set_request_raw_query("a b");
  f.add(7).set_request_scheme("gopher");
  header(f.add(7).mutable_request_header(), v1::HEADER_ACTION_SET, "X-Good", "ok");
  auto r = f.apply(Phase::Access);
  CHECK(r.applied == 1);
  REQUIRE(r.rejections.size() == 7);
  CHECK(r.rejections[0].instanceId == 7);
  CHECK(r.rejections[0].op == "request_header");
  CHECK(r.rejections[3].op == "request_path");
  CHECK_FALSE(f.state.request.headers.has("X-Bad"));
  CHECK_FALSE(f.state.request.headers.has("Transfer-Encoding"));
  CHECK_FALSE(f.state.upstreamPath);
  CHECK_FALSE(f.state.upstreamMethod);
  CHECK_FALSE(f.state.upstreamQuery);
  CHECK_FALSE(f.state.upstreamScheme);
  CHECK(*f.state.request.headers.get("X-Good") == "ok");
}

TEST_CASE("MutationApplier.upstreamRequestOverrides", "[mutation_applier]") {
  Fixture f;
  f.add().set_request_path("/new");
  f.add().set_request_raw_query("a=1");
  f.add().set_request_method("POST");
  f.add().set_request_scheme("http");
  f.add().set_request_body("hello");
  f.add().mutable_target()->set_host("10.1.1.1");
  f.ms.Mutable(f.ms.size() - 1)->mutable_target()->set_port(9000);
  f.add().set_upstream("backend");
  f.add().set_upstream("nope");
  auto r = f.apply(Phase::Access);
  CHECK(r.applied == 7);
  REQUIRE(r.rejections.size() == 1);
  CHECK(r.rejections[0].reason.find("unknown upstream") != std::string::npos);
  CHECK(*f.state.upstreamPath == "/new");
  CHECK(*f.state.upstreamQuery == "a=1");
  CHECK(*f.state.upstreamMethod == "POST");
  CHECK(*f.state.upstreamScheme == "http");
  CHECK(*f.state.upstreamBody == "hello");
  CHECK(f.state.upstreamTarget->toString() == "10.1.1.1:9000");
  CHECK(*f.state.upstreamName == "backend");
}

TEST_CASE("MutationApplier.bodyLimit", "[mutation_applier]") {
  Fixture f;
  f.options.limits.maxBodyBytes = 4;
  f.add().set_request_body("12345");
  f.add().set_request_body("1234");
  auto r = f.apply(Phase::Access);
  CHECK(r.rejections.size() == 1);
  CHECK(*f.state.upstreamBody == "1234");
}

TEST_CASE("MutationApplier.exitShortCircuits", "[mutation_applier]") {
  Fixture f;
  header(f.add().mutable_request_header(), v1::HEADER_ACTION_SET, "X-Before", "1");
  auto& e = *f.add().mutable_exit();
  e.set_status(403);
  e.set_body("{\"message\":\"no\"}");
  e.set_has_body(true);
  auto* h = e.add_headers();
  h->set_name("Content-Type");
  h->set_value("application/json");
  auto* bad = e.add_headers();
  bad->set_name("Connection");
  bad->set_value("close");
  header(f.add().mutable_request_header(), v1::HEADER_ACTION_SET, "X-After", "1");
  auto r = f.apply(Phase::Access);
  CHECK(r.exited);
  CHECK_FALSE(r.fatal);
  REQUIRE(f.state.exit);
  CHECK(f.state.exit->status == 403);
  CHECK(f.state.exit->hasBody);
  CHECK(f.state.exit->body == "{\"message\":\"no\"}");
  CHECK(f.state.exit->headers.has("Content-Type"));
  CHECK_FALSE(f.state.exit->headers.has("Connection"));
  CHECK(r.rejections.size() == 1);  // The Connection header of the exit.
  CHECK(f.state.request.headers.has("X-Before"));
  CHECK_FALSE(f.state.request.headers.has("X-After"));
  CHECK(f.state.responseSource == "exit");
}

TEST_CASE("MutationApplier.exitWithoutBody", "[mutation_applier]") {
  Fixture f;
  f.add().mutable_exit()->set_status(204);
  auto r = f.apply(Phase::Rewrite);
  CHECK(r.exited);
  CHECK_FALSE(f.state.exit->hasBody);
  CHECK(f.state.exit->body.empty());
}

TEST_CASE("MutationApplier.invalidExitIsFatal", "[mutation_applier]") {
  Fixture f;
  f.add().mutable_exit()->set_status(1000);
  header(f.add().mutable_request_header(), v1::HEADER_ACTION_SET, "X-After", "1");
  auto r = f.apply(Phase::Access);
  CHECK(r.fatal);
  CHECK_FALSE(r.exited);
  CHECK_FALSE(f.state.exit);
  CHECK_FALSE(f.state.request.headers.has("X-After"));
}

TEST_CASE("MutationApplier.phaseRestrictions", "[mutation_applier]") {
  Fixture f;
  header(f.add().mutable_request_header(), v1::HEADER_ACTION_SET, "X-Req", "1");
  header(f.add().mutable_response_header(), v1::HEADER_ACTION_SET, "X-Resp", "1");
  f.add().set_response_status(201);
  f.add().set_response_body("new");
  auto r = f.apply(Phase::Response);
  CHECK(r.applied == 3);
  CHECK(r.rejections.size() == 1);
  CHECK_FALSE(f.state.request.headers.has("X-Req"));
  CHECK(f.state.response.headers.has("X-Resp"));
  CHECK(f.state.response.status == 201);
  CHECK(*f.state.responseBody == "new");

  Fixture g;
  header(g.add().mutable_response_header(), v1::HEADER_ACTION_SET, "X-Resp", "1");
  g.add().set_response_status(302);
  g.add().set_response_body("x");
  auto r2 = g.apply(Phase::HeaderFilter);
  CHECK(r2.applied == 2);
  CHECK(r2.rejections.size() == 1);
  CHECK_FALSE(g.state.responseBody);

  Fixture h;
  header(h.add().mutable_response_header(), v1::HEADER_ACTION_SET, "X-Resp", "1");
  h.add().mutable_shared()->set_key("k");
  h.add().mutable_log()->set_message("hello");
  auto r3 = h.apply(Phase::Log);
  CHECK(r3.applied == 1);
  CHECK(r3.ignored == 2);          // Not rejections: the response is gone.
  CHECK(r3.rejections.empty());
  CHECK(r3.logLines.size() == 1);
  CHECK(h.state.response.headers.getAll("X-Resp").empty());

  Fixture i;
  i.add().set_response_status(100);
  i.add().set_response_status(600);
  CHECK(i.apply(Phase::Response).rejections.size() == 2);
}

TEST_CASE("MutationApplier.authenticate", "[mutation_applier]") {
  Fixture f;
  auto* a = f.add().mutable_authenticate();
  a->mutable_consumer()->set_id("c-ghost");
  auto r = f.apply(Phase::Access);
  CHECK(r.rejections.size() == 1);
  CHECK(r.rejections[0].reason.find("unknown consumer") != std::string::npos);
  CHECK(f.state.consumer == nullptr);

  Fixture g;
  auto* b = g.add().mutable_authenticate();
  b->mutable_consumer()->set_id("c-alice");
  b->mutable_credential()->set_id("cred-1");
  auto r2 = g.apply(Phase::Access);
  CHECK(r2.rejections.empty());
  REQUIRE(g.state.consumer != nullptr);
  CHECK(g.state.consumer->username == "alice");
  CHECK(g.state.credentialId == "cred-1");
  CHECK(g.state.credentialConsumerId == "c-alice");
}

TEST_CASE("MutationApplier.sharedAndLog", "[mutation_applier]") {
  Fixture f;
  f.state.shared["old"] = "1";
  auto* s = f.add().mutable_shared();
  s->set_key("k");
  s->set_json_value("{\"a\":1}");
  auto* d = f.add().mutable_shared();
  d->set_key("old");
  auto* bad = f.add().mutable_shared();
  bad->set_key("b");
  bad->set_json_value("{broken");
  auto* l = f.add(3).mutable_log();
  l->set_level(v1::LOG_LEVEL_WARN);
  l->set_message("careful");
  auto r = f.apply(Phase::Access);
  CHECK(r.rejections.size() == 1);
  CHECK(f.state.shared.at("k") == "{\"a\":1}");
  CHECK_FALSE(f.state.shared.count("old"));
  CHECK_FALSE(f.state.shared.count("b"));
  REQUIRE(f.state.pluginLogLines.size() == 1);
  CHECK(f.state.pluginLogLines[0] == "[warn] [plugin-3] careful");
  CHECK(r.logLines[0].level == v1::LOG_LEVEL_WARN);
}

TEST_CASE("MutationApplier.emptyMutationRejected", "[mutation_applier]") {
  Fixture f;
  f.add();
  auto r = f.apply(Phase::Access);
  CHECK(r.applied == 0);
  CHECK(r.rejections.size() == 1);
}

TEST_CASE("MutationApplier.responseHeadersBeforeTheResponseWait", "[mutation_applier]") {
  Fixture f;
  PendingHeaders pending;
  f.options.pendingResponseHeaders = &pending;
  header(f.add().mutable_response_header(), v1::HEADER_ACTION_SET, "X-Hello", "hi");
  header(f.add().mutable_response_header(), v1::HEADER_ACTION_ADD, "X-Multi", "1");
  header(f.add().mutable_response_header(), v1::HEADER_ACTION_ADD, "X-Multi", "2");
  header(f.add().mutable_response_header(), v1::HEADER_ACTION_CLEAR, "Server");
  header(f.add().mutable_response_header(), v1::HEADER_ACTION_SET, "Connection", "close");
  auto r = f.apply(Phase::Access);
  CHECK(r.applied == 4);
  CHECK(r.rejections.size() == 1);  // Hop-by-hop: rejected as in any phase.
  CHECK(pending.size() == 4);
  CHECK_FALSE(f.state.response.headers.has("X-Hello"));  // Not yet: no response exists.

  // Later, the response (from the upstream) exists.
  http::HeaderMap upstream;
  upstream.add("Server", "up");
  upstream.add("X-Hello", "from-upstream");
  applyPendingResponseHeaders(pending, upstream);
  CHECK(pending.empty());
  CHECK(upstream.getAll("X-Hello").size() == 1);
  CHECK(*upstream.get("X-Hello") == "hi");
  CHECK(upstream.getAll("X-Multi").size() == 2);
  CHECK_FALSE(upstream.has("Server"));

  // Without a place to keep them (no caller support), they are rejected, never lost silently.
  Fixture g;
  header(g.add().mutable_response_header(), v1::HEADER_ACTION_SET, "X-Hello", "hi");
  CHECK(g.apply(Phase::Rewrite).rejections.size() == 1);
}

TEST_CASE("MutationApplier.exitTakesPendingResponseHeaders", "[mutation_applier]") {
  Fixture f;
  PendingHeaders pending;
  f.options.pendingResponseHeaders = &pending;
  header(f.add().mutable_response_header(), v1::HEADER_ACTION_SET, "X-Early", "1");
  header(f.add().mutable_response_header(), v1::HEADER_ACTION_SET, "X-Both", "early");
  auto* e = f.add().mutable_exit();
  e->set_status(403);
  auto* h = e->add_headers();
  h->set_name("X-Both");
  h->set_value("exit");
  auto r = f.apply(Phase::Access);
  CHECK(r.exited);
  REQUIRE(f.state.exit);
  CHECK(pending.empty());
  CHECK(*f.state.exit->headers.get("X-Early") == "1");
  CHECK(f.state.exit->headers.getAll("X-Both").size() == 1);
  CHECK(*f.state.exit->headers.get("X-Both") == "exit");
}

TEST_CASE("MutationApplier.exitInResponsePhasesChangesTheResponse", "[mutation_applier]") {
  Fixture f;
  f.state.response.status = 200;
  f.state.responseBody = "upstream body";
  auto* e = f.add().mutable_exit();
  e->set_status(418);
  e->set_body("teapot");
  e->set_has_body(true);
  auto* h = e->add_headers();
  h->set_name("Server");
  h->set_value("exit");
  header(f.add().mutable_response_header(), v1::HEADER_ACTION_SET, "X-After", "1");
  auto r = f.apply(Phase::Response);
  CHECK(r.exited);
  CHECK_FALSE(f.state.exit);  // The response exists: changed in place.
  CHECK(f.state.response.status == 418);
  CHECK(*f.state.responseBody == "teapot");
  CHECK(f.state.response.headers.getAll("Server").size() == 1);
  CHECK(*f.state.response.headers.get("Server") == "exit");
  CHECK(f.state.responseSource == "exit");
  CHECK_FALSE(f.state.response.headers.has("X-After"));  // Nothing after an exit applies.

  Fixture g;
  g.state.response.status = 200;
  auto* ge = g.add().mutable_exit();
  ge->set_status(503);
  ge->set_body("no body here");
  ge->set_has_body(true);
  auto r2 = g.apply(Phase::HeaderFilter);
  CHECK(r2.exited);
  CHECK(g.state.response.status == 503);
  CHECK_FALSE(g.state.responseBody);
  CHECK(r2.rejections.size() == 1);  // The body, reported.

  Fixture i;
  i.add().mutable_exit()->set_status(101);
  auto r3 = i.apply(Phase::Response);
  CHECK_FALSE(r3.exited);
  CHECK_FALSE(r3.fatal);
  CHECK(r3.rejections.size() == 1);
}
