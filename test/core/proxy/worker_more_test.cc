// End-to-end worker tests beyond the basic path: upgrade tunnel, client-side timeouts, retries
// across an Upstream's targets, config reload, connection limit, and the plugin seam (a fake
// WorkerPlugins).

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "core/proxy/proxy_test_env.h"
#include "gateway/plugin/runtime.h"

using namespace gateway;
using namespace gateway::proxy;
using namespace gateway::proxy::test;

namespace {
bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// A plugin runtime that wants the phases listed in `phases` and lets the test script them.
struct FakePlan : plugin::PluginPlan {
  bool empty() const override { return false; }
};

struct FakeRequestPlugins : plugin::RequestPlugins {
  struct FakeWorker* worker;
  plugin::RequestDataSource* source{nullptr};
  explicit FakeRequestPlugins(FakeWorker* w) : worker(w) {}
  bool wants(plugin::Phase phase) const override;
  bool needsRequestBody(plugin::Phase phase) const override;
  void runPhase(plugin::Phase phase, RequestState& state, plugin::PhaseDoneCallback done) override;
  void runLog(const RequestState& state) override;
};

struct FakeWorker : plugin::WorkerPlugins {
  std::vector<plugin::Phase> phases;
  std::vector<plugin::Phase> ran;
  std::vector<int> loggedStatus;
  bool bodyBeforeAccess{false};
  bool lazyBodyInAccess{false};
  std::string seenBody;
  std::function<plugin::PhaseOutcome(plugin::Phase, RequestState&)> script;
  void drain(std::function<void()> done) override { done(); }
  plugin::RequestPluginsPtr startRequest(const plugin::PluginPlan&, RequestState&,
                                         plugin::RequestDataSource& source) override {
    auto p = std::make_unique<FakeRequestPlugins>(this);
    p->source = &source;
    return p;
  }
};

bool FakeRequestPlugins::wants(plugin::Phase phase) const {
  return std::find(worker->phases.begin(), worker->phases.end(), phase) != worker->phases.end();
}
bool FakeRequestPlugins::needsRequestBody(plugin::Phase phase) const {
  return worker->bodyBeforeAccess && phase == plugin::Phase::Access;
}
void FakeRequestPlugins::runPhase(plugin::Phase phase, RequestState& state,
                                  plugin::PhaseDoneCallback done) {
  worker->ran.push_back(phase);
  if (worker->lazyBodyInAccess && phase == plugin::Phase::Access) {
    source->readRequestBody([this, phase, &state, done](StatusOr<std::string_view> body) {
      worker->seenBody = body.isOk() ? std::string(body.value()) : "error";
      done(worker->script ? worker->script(phase, state) : plugin::PhaseOutcome{});
    });
    return;
  }
  if (state.requestBody) {
    worker->seenBody = *state.requestBody;
  }
  done(worker->script ? worker->script(phase, state) : plugin::PhaseOutcome{});
}
void FakeRequestPlugins::runLog(const RequestState& state) {
  worker->loggedStatus.push_back(state.response.status);
}

void startWithPlugins(Env& env, FakeWorker& plugins) {
  auto snapshot = std::make_shared<ConfigSnapshot>();
  snapshot->config = env.config;
  snapshot->router = router::createRouter(*env.config);
  snapshot->plugins = std::make_shared<FakePlan>();
  snapshot->generation = 1;
  env.worker = createProxyWorker(*env.dispatcher, snapshot, &plugins, env.sink);
  auto l = env.dispatcher->listenTcp("127.0.0.1", 0, 128, [&env](event::TcpStreamPtr s) {
    env.worker->onAccept(std::move(s));
  });
  REQUIRE(l.isOk());
  env.gateway = std::move(l.value());
}

} // namespace

TEST_CASE("ProxyWorker.websocketTunnel") {
  Env env;
  env.start();
  auto c = env.connect();
  c->send("GET /api/ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
  REQUIRE(env.run([&] { return contains(c->raw, "\r\n\r\n"); }));
  CHECK(contains(c->raw, "HTTP/1.1 101"));
  CHECK(contains(c->raw, "Upgrade: websocket"));
  c->raw.clear();
  REQUIRE(c->stream->write("ping-frame").isOk());
  REQUIRE(env.run([&] { return c->raw == "ping-frame"; }));
  // The upstream connection is never pooled: closing the client ends the tunnel.
  c->stream->closeNow();
  REQUIRE(env.run([&] { return env.worker->activeConnections() == 0; }));
}

TEST_CASE("ProxyWorker.headerTimeout408") {
  Env env;
  env.config->gateway.limits.clientHeaderTimeout = std::chrono::milliseconds(100);
  env.start();
  auto c = env.connect();
  c->send("GET /api HTTP/1.1\r\nHost: a\r\n");
  REQUIRE(env.run([&] { return c->eof; }));
  REQUIRE(c->responses.size() == 1);
  CHECK(c->responses[0].head.status == 408);
}

TEST_CASE("ProxyWorker.silentNewConnectionClosedAfterHeaderTimeout") {
  // Before the first request the header timeout runs from accept (slowloris defence), not the
  // keep-alive timeout; nothing was asked, so nothing is answered.
  Env env;
  env.config->gateway.limits.clientHeaderTimeout = std::chrono::milliseconds(100);
  env.config->gateway.limits.keepaliveTimeout = std::chrono::milliseconds(60000);
  env.start();
  auto c = env.connect();
  REQUIRE(env.run([&] { return c->eof || c->closed; }));
  CHECK(c->raw.empty());
  CHECK(c->responses.empty());
  CHECK(env.worker->activeConnections() == 0);
}

TEST_CASE("ProxyWorker.headerTimeoutOfFirstRequestRunsFromAccept") {
  Env env;
  env.config->gateway.limits.clientHeaderTimeout = std::chrono::milliseconds(200);
  env.start();
  auto c = env.connect();
  bool sent = false;
  auto timer = env.dispatcher->createTimer([&] {
    c->send("GET /api HTTP/1.1\r\n");
    sent = true;
  });
  timer->enable(std::chrono::milliseconds(120));
  const auto t0 = std::chrono::steady_clock::now();
  REQUIRE(env.run([&] { return c->eof; }));
  CHECK(sent);
  // 408 at ~200 ms after accept, not 200 ms after the first byte (~320 ms).
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(300));
  REQUIRE(c->responses.size() == 1);
  CHECK(c->responses[0].head.status == 408);
}

TEST_CASE("ProxyWorker.keepAliveTimeoutAppliesBetweenRequests") {
  Env env;
  env.config->gateway.limits.clientHeaderTimeout = std::chrono::milliseconds(100);
  env.config->gateway.limits.keepaliveTimeout = std::chrono::milliseconds(400);
  env.start();
  auto c = env.connect();
  c->send("GET /api HTTP/1.1\r\nHost: a\r\n\r\n");
  REQUIRE(env.run([&] { return c->completed() == 1; }));
  const auto t0 = std::chrono::steady_clock::now();
  REQUIRE(env.run([&] { return c->eof; }));
  // Idle after a response: the keep-alive timeout (400 ms), not the header timeout (100 ms).
  CHECK(std::chrono::steady_clock::now() - t0 > std::chrono::milliseconds(300));
  CHECK(c->responses.size() == 1);
}

TEST_CASE("ProxyWorker.bodyTimeout408") {
  Env env;
  env.config->gateway.limits.clientBodyTimeout = std::chrono::milliseconds(150);
  env.start();
  auto c = env.connect();
  c->send("POST /api HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc", "POST");
  REQUIRE(env.run([&] { return c->eof; }));
  REQUIRE(c->responses.size() == 1);
  CHECK(c->responses[0].head.status == 408);
}

TEST_CASE("ProxyWorker.keepAliveIdleTimeoutCloses") {
  Env env;
  env.config->gateway.limits.keepaliveTimeout = std::chrono::milliseconds(100);
  env.start();
  auto c = env.connect();
  c->send("GET /api HTTP/1.1\r\nHost: a\r\n\r\n");
  REQUIRE(env.run([&] { return c->completed() == 1; }));
  REQUIRE(env.run([&] { return c->eof; }));
  CHECK(env.worker->activeConnections() == 0);
}

TEST_CASE("ProxyWorker.retriesOnNextTargetOfUpstream") {
  Env env;
  config::Upstream up;
  up.id = "u-id";
  up.name = "pool.internal";
  up.targets = {config::Target{"127.0.0.1", env.deadPort, 100},
                config::Target{"127.0.0.1", env.upstream.port(), 100}};
  env.config->upstreams.push_back(up);
  env.addService("balanced", 80, "/lb", false);
  env.config->services.back().host = "pool.internal";
  env.start();
  auto c = env.connect();
  for (int i = 0; i < 4; ++i) {
    c->send("GET /lb/" + std::to_string(i) + " HTTP/1.1\r\nHost: a\r\n\r\n");
    REQUIRE(env.run([&] { return c->completed() == static_cast<size_t>(i + 1); }));
    CHECK(c->responses.back().head.status == 200);
  }
  // Kong's host for an Upstream target: the target host and port.
  CHECK(contains(c->responses[0].body,
                 "Host: 127.0.0.1:" + std::to_string(env.upstream.port()) + "\n"));
}

TEST_CASE("ProxyWorker.noHealthyPeer503") {
  Env env;
  config::Upstream up;
  up.name = "empty.internal";
  env.config->upstreams.push_back(up);
  env.addService("nopeer", 80, "/np", false);
  env.config->services.back().host = "empty.internal";
  env.start();
  auto c = env.connect();
  c->send("GET /np HTTP/1.1\r\nHost: a\r\n\r\n");
  REQUIRE(env.run([&] { return c->completed() == 1; }));
  CHECK(c->responses[0].head.status == 503);
  CHECK(c->responses[0].body == R"({"message":"failure to get a peer from the ring-balancer"})");
}

TEST_CASE("ProxyWorker.configReloadAppliesToNewRequests") {
  Env env;
  env.start();
  auto c = env.connect();
  c->send("GET /new HTTP/1.1\r\nHost: a\r\n\r\n");
  REQUIRE(env.run([&] { return c->completed() == 1; }));
  CHECK(c->responses[0].head.status == 404);
  auto next = std::make_shared<config::Config>(*env.config);
  next->routes[0].paths = {"/new"};
  auto snapshot = std::make_shared<ConfigSnapshot>();
  snapshot->config = next;
  snapshot->router = router::createRouter(*next);
  snapshot->generation = 2;
  env.worker->setConfig(snapshot);
  c->send("GET /new HTTP/1.1\r\nHost: a\r\n\r\n");
  REQUIRE(env.run([&] { return c->completed() == 2; }));
  CHECK(c->responses[1].head.status == 200);
}

TEST_CASE("ProxyWorker.maxConnections") {
  Env env;
  env.config->gateway.limits.maxConnections = 1;
  env.start();
  auto a = env.connect();
  REQUIRE(env.run([&] { return env.worker->activeConnections() == 1; }));
  auto b = env.connect();
  REQUIRE(env.run([&] { return b->eof || b->closed; }));
  CHECK(env.worker->activeConnections() == 1);
}

TEST_CASE("ProxyWorker.accessLogOff") {
  Env env;
  env.config->gateway.log.accessLog = "off";
  env.start();
  auto c = env.connect();
  c->send("GET /api HTTP/1.1\r\nHost: a\r\n\r\n");
  REQUIRE(env.run([&] { return c->completed() == 1; }));
  CHECK(env.sink.lines.empty());
}

TEST_CASE("PluginSeam.accessExitIsLocalReplyAndLogRuns") {
  Env env;
  FakeWorker plugins;
  plugins.phases = {plugin::Phase::Rewrite, plugin::Phase::Access, plugin::Phase::Log};
  plugins.script = [](plugin::Phase phase, RequestState& state) {
    plugin::PhaseOutcome o;
    if (phase == plugin::Phase::Access) {
      LocalReply reply;
      reply.status = 401;
      reply.body = R"({"message":"No API key found in request"})";
      reply.hasBody = true;
      reply.headers.add("Content-Type", "application/json");
      state.exit = std::move(reply);
      o.kind = plugin::PhaseOutcome::Kind::Exit;
    }
    return o;
  };
  startWithPlugins(env, plugins);
  auto c = env.connect();
  c->send("GET /api HTTP/1.1\r\nHost: a\r\n\r\n");
  REQUIRE(env.run([&] { return c->completed() == 1; }));
  CHECK(c->responses[0].head.status == 401);
  CHECK(c->responses[0].body == R"({"message":"No API key found in request"})");
  CHECK(env.upstream.requests.empty());
  REQUIRE(plugins.ran.size() == 2);
  CHECK(plugins.ran[0] == plugin::Phase::Rewrite);
  CHECK(plugins.ran[1] == plugin::Phase::Access);
  REQUIRE(plugins.loggedStatus.size() == 1);
  CHECK(plugins.loggedStatus[0] == 401);
}

TEST_CASE("PluginSeam.failIs500AndHeaderFilterMutates") {
  Env env;
  FakeWorker plugins;
  plugins.phases = {plugin::Phase::Access, plugin::Phase::HeaderFilter};
  bool failAccess = true;
  plugins.script = [&](plugin::Phase phase, RequestState& state) {
    plugin::PhaseOutcome o;
    if (phase == plugin::Phase::Access && failAccess) {
      o.kind = plugin::PhaseOutcome::Kind::Fail;
      o.status = 500;
      o.message = "An unexpected error occurred";
    }
    if (phase == plugin::Phase::Access && !failAccess) {
      state.request.headers.set("X-Added", "yes");
    }
    if (phase == plugin::Phase::HeaderFilter) {
      state.response.headers.set("X-Filtered", "1");
    }
    return o;
  };
  startWithPlugins(env, plugins);
  auto c = env.connect();
  c->send("GET /api HTTP/1.1\r\nHost: a\r\n\r\n");
  REQUIRE(env.run([&] { return c->completed() == 1; }));
  CHECK(c->responses[0].head.status == 500);
  failAccess = false;
  c->send("GET /api HTTP/1.1\r\nHost: a\r\n\r\n");
  REQUIRE(env.run([&] { return c->completed() == 2; }));
  CHECK(c->responses[1].head.status == 200);
  CHECK(c->responses[1].head.headers.get("X-Filtered") == "1");
  CHECK(contains(c->responses[1].body, "X-Added: yes\n"));
}

TEST_CASE("PluginSeam.responsePhaseBuffersAndReplacesBody") {
  Env env;
  FakeWorker plugins;
  plugins.phases = {plugin::Phase::Access, plugin::Phase::Response};
  plugins.bodyBeforeAccess = true;
  plugins.script = [&](plugin::Phase phase, RequestState& state) {
    if (phase == plugin::Phase::Response) {
      state.responseBody = "replaced";
      state.response.status = 201;
    }
    return plugin::PhaseOutcome{};
  };
  startWithPlugins(env, plugins);
  auto c = env.connect();
  c->send("POST /chunked HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nbody", "POST");
  REQUIRE(env.run([&] { return c->completed() == 1; }));
  CHECK(plugins.seenBody == "body");
  CHECK(c->responses[0].head.status == 201);
  CHECK(c->responses[0].body == "replaced");
  CHECK(c->responses[0].head.headers.get("Content-Length") == "8");
  CHECK(env.upstream.bodySizes.back() == 4);
}

TEST_CASE("ProxyWorker.stalePooledConnectionRetriedTransparently") {
  Env env;
  env.config->services[0].retries = 0;  // The transparent retry does not count as a retry.
  env.start();
  auto c = env.connect();
  c->send("GET /api/stale HTTP/1.1\r\nHost: a\r\n\r\n");
  REQUIRE(env.run([&] { return c->completed() == 1; }));
  c->send("POST /api/stale HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi", "POST");
  REQUIRE(env.run([&] { return c->completed() == 2; }));
  CHECK(c->responses[1].head.status == 200);
  CHECK(contains(c->responses[1].body, "body-size: 2\n"));
  CHECK(env.upstream.conns.size() == 2);
}

// Not run by default (`proxy_worker_test "[.bench]"`): client, gateway and upstream share one
// loop, so this measures the whole per-request CPU cost of the three, not the gateway alone.
TEST_CASE("ProxyWorker.benchSequentialKeepAlive", "[.bench]") {
  Env env;
  env.config->gateway.log.accessLog = "off";
  env.start();
  auto c = env.connect();
  const int n = 20000;
  auto t0 = std::chrono::steady_clock::now();
  int sent = 0;
  std::function<void()> sendNext = [&] {
    c->methods.push_back("GET");
    if (c->methods.size() == 1) {
      c->decoder->expectResponseTo("GET");
    }
    (void)c->stream->write("GET /api/bench HTTP/1.1\r\nHost: a\r\nUser-Agent: bench\r\n\r\n");
    ++sent;
  };
  c->onCompleteHook = [&] {
    if (sent < n) {
      sendNext();
    }
  };
  sendNext();
  REQUIRE(env.run([&] { return c->completed() == static_cast<size_t>(n); },
      std::chrono::milliseconds(60000)));
  auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  WARN("sequential keep-alive: " << n / secs << " req/s (client+gateway+upstream on one core)");
  CHECK(env.upstream.conns.size() == 1);
}

TEST_CASE("PluginSeam.lazyRequestBodyReadDuringAccess") {
  Env env;
  FakeWorker plugins;
  plugins.phases = {plugin::Phase::Access};
  plugins.lazyBodyInAccess = true;
  startWithPlugins(env, plugins);
  auto c = env.connect();
  c->send("POST /api/lazy HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n",
          "POST");
  REQUIRE(env.run([&] { return !c->informational.empty(); }));
  REQUIRE(c->stream->write("hello").isOk());
  REQUIRE(env.run([&] { return c->completed() == 1; }));
  CHECK(plugins.seenBody == "hello");
  CHECK(c->responses[0].head.status == 200);
  CHECK(contains(c->responses[0].body, "Content-Length: 5\n"));
  CHECK(contains(c->responses[0].body, "body-size: 5\n"));
}
