// End-to-end: PluginManager + WorkerPlugins on a real libuv dispatcher (event/) against the
// test plugin server, in-process (sidecar) or as a child process (managed). Waits use futures
// and polling with deadlines, never fixed sleeps.

#include <signal.h>
#include <stdlib.h>

#include <filesystem>
#include <future>
#include <thread>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "gateway/event/dispatcher.h"
#include "gateway/plugin/runtime.h"
#include "test_plugin_server.h"

using namespace gateway;
using namespace gateway::plugin;
using namespace std::chrono_literals;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    std::string t = (std::filesystem::temp_directory_path() / "gw-plugin-test-XXXXXX");
    path = ::mkdtemp(t.data());
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

class FakeSource : public RequestDataSource {
public:
  void readRequestBody(std::function<void(StatusOr<std::string_view>)> cb) override {
    cb(std::string_view(body));
  }
  std::string body{"request-body"};
};

// One libuv loop on a thread, used as both the main and the worker dispatcher.
struct Harness {
  event::DispatcherPtr loop = event::createDispatcher();
  std::thread thread;
  PluginManagerPtr manager;
  std::unique_ptr<WorkerPlugins> worker;
  PluginPlanSharedPtr plan;
  std::mutex logMu;
  std::vector<std::string> logs;
  event::TimerPtr keepAlive;

  template <typename F> auto onLoop(F fn) {
    using R = decltype(fn());
    std::promise<R> p;
    loop->post([&] {
      if constexpr (std::is_void_v<R>) {
        fn();
        p.set_value();
      } else {
        p.set_value(fn());
      }
    });
    return p.get_future().get();
  }

  Harness() {
    // gantry ignores SIGPIPE (server.cc); so must this process, or writing on an event stream
    // whose server was just killed ends the test with SIGPIPE instead of a stream error.
    ::signal(SIGPIPE, SIG_IGN);
    std::promise<void> started;
    loop->post([&] {
      keepAlive = loop->createTimer([] {});
      keepAlive->enable(std::chrono::hours(1));
      started.set_value();
    });
    thread = std::thread([this] { loop->run(); });
    started.get_future().wait();
  }
  ~Harness() {
    if (std::getenv("GW_TEST_LOGS") != nullptr) {
      std::lock_guard<std::mutex> lock(logMu);
      for (const auto& l : logs) {
        std::fprintf(stderr, "LOG %s\n", l.c_str());
      }
    }
    onLoop([&] {
      worker.reset();
      plan.reset();
    });
    std::promise<void> stopped;
    loop->post([&] {
      if (manager) {
        manager->stop([&] { stopped.set_value(); });
      } else {
        stopped.set_value();
      }
    });
    stopped.get_future().wait_for(20s);
    onLoop([&] {
      manager.reset();
      keepAlive.reset();
    });
    loop->exit();
    thread.join();
  }

  std::vector<PlanError> start(config::ConfigSharedPtr cfg) {
    std::promise<std::vector<PlanError>> result;
    loop->post([&] {
      PluginManagerOptions options;
      options.nodeId = "node-1";
      options.shutdownGrace = 1000ms;
      options.log = [this](std::string_view level, std::string_view msg) {
        std::lock_guard<std::mutex> lock(logMu);
        logs.push_back(std::string(level) + " " + std::string(msg));
      };
      manager = createPluginManager(*loop, options);
      manager->start(cfg, [&](PluginPlanSharedPtr p, std::vector<PlanError> errors) {
        plan = p;
        if (p) {
          worker = manager->createWorkerPlugins(*loop);
        }
        result.set_value(errors);
      });
    });
    auto f = result.get_future();
    REQUIRE(f.wait_for(30s) == std::future_status::ready);
    return f.get();
  }

  std::vector<PlanError> reload(config::ConfigSharedPtr cfg) {
    std::promise<std::vector<PlanError>> result;
    loop->post([&] {
      manager->buildPlan(cfg, [&](PluginPlanSharedPtr p, std::vector<PlanError> errors) {
        if (p) {
          plan = p;
        }
        result.set_value(errors);
      });
    });
    return result.get_future().get();
  }

  struct Request {
    proxy::RequestState state;
    FakeSource source;
    RequestPluginsPtr plugins;
    std::optional<PhaseOutcome> outcome;
  };

  // Runs the access phase of `n` requests started in the same loop iteration.
  std::vector<std::unique_ptr<Request>> access(int n, std::function<void(Request&)> setup = {}) {
    static std::atomic<uint64_t> nextId{1};
    std::vector<std::unique_ptr<Request>> reqs;
    std::promise<void> all;
    auto remaining = std::make_shared<int>(n);
    loop->post([&] {
      for (int i = 0; i < n; ++i) {
        auto r = std::make_unique<Request>();
        r->state.id = nextId++;
        r->state.request.method = "GET";
        r->state.request.path = "/p";
        r->state.host = "example.com";
        if (setup) {
          setup(*r);
        }
        r->plugins = worker->startRequest(*plan, r->state, r->source);
        reqs.push_back(std::move(r));
      }
      for (auto& r : reqs) {
        Request* raw = r.get();
        raw->plugins->runPhase(Phase::Access, raw->state, [&, raw, remaining](PhaseOutcome o) {
          raw->outcome = o;
          if (--*remaining == 0) {
            all.set_value();
          }
        });
      }
    });
    REQUIRE(all.get_future().wait_for(30s) == std::future_status::ready);
    return reqs;
  }

  // Runs the log phase of `n` requests started in the same loop iteration.
  std::vector<std::unique_ptr<Request>> log(int n) {
    static std::atomic<uint64_t> nextId{100000};
    std::vector<std::unique_ptr<Request>> reqs;
    onLoop([&] {
      for (int i = 0; i < n; ++i) {
        auto r = std::make_unique<Request>();
        r->state.id = nextId++;
        r->state.request.method = "GET";
        r->state.request.path = "/log";
        r->plugins = worker->startRequest(*plan, r->state, r->source);
        r->plugins->runLog(r->state);
        reqs.push_back(std::move(r));
      }
    });
    return reqs;
  }

  nlohmann::json counters() { return nlohmann::json::parse(manager->countersJson()); }

  // Polls until `pred` holds (deadline 20 s).
  template <typename P> bool eventually(P pred) {
    for (int i = 0; i < 2000; ++i) {
      if (pred()) {
        return true;
      }
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

  void destroyRequests(std::vector<std::unique_ptr<Request>>& reqs) {
    onLoop([&] { reqs.clear(); });
  }
};

config::PluginEntity entity(std::string name, std::string value, std::string id = "") {
  config::PluginEntity e;
  e.id = id.empty() ? name + "-id" : id;
  e.name = std::move(name);
  e.config = {{"value", value}};
  return e;
}

std::shared_ptr<config::Config> sidecarConfig(const std::string& address) {
  auto cfg = std::make_shared<config::Config>();
  config::PluginServer ps;
  ps.name = "test";
  ps.address = address;
  ps.startTimeout = 5000ms;
  cfg->pluginServers.push_back(ps);
  config::Consumer alice;
  alice.id = "c-alice";
  alice.username = "alice";
  config::Credential cred;
  cred.type = "keyauth_credentials";
  cred.id = "cred-1";
  cred.fields = {{"key", "secret"}};
  alice.credentials.push_back(cred);
  cfg->consumers.push_back(alice);
  return cfg;
}

} // namespace

TEST_CASE("PluginRuntime.handshakeConfigureAndAccess", "[plugin_runtime]") {
  TempDir dir;
  const std::string address = "unix:" + dir.path + "/s.sock";
  testing::TestPluginServer server(address);
  auto cfg = sidecarConfig(address);
  cfg->plugins = {entity("add-header", "hi")};
  Harness h;
  REQUIRE(h.start(cfg).empty());
  CHECK(server.knownInstances() == 1);
  auto reqs = h.access(1);
  REQUIRE(reqs[0]->outcome);
  CHECK(reqs[0]->outcome->kind == PhaseOutcome::Kind::Continue);
  CHECK(*reqs[0]->state.request.headers.get("X-Added") == "hi");
  CHECK(h.onLoop([&] { return reqs[0]->plugins->wants(Phase::HeaderFilter); }));
  CHECK_FALSE(h.onLoop([&] { return reqs[0]->plugins->wants(Phase::Response); }));
  h.destroyRequests(reqs);
}

TEST_CASE("PluginRuntime.loadErrorsNameThePlace", "[plugin_runtime]") {
  TempDir dir;
  const std::string address = "unix:" + dir.path + "/s.sock";
  testing::TestPluginServer server(address);
  auto cfg = sidecarConfig(address);
  auto bad = entity("add-header", "x", "e2");
  bad.config = {{"value", 5}};
  cfg->plugins = {entity("add-header", "ok"), entity("nope", "x", "e1"), bad};
  Harness h;
  auto errors = h.start(cfg);
  REQUIRE(errors.size() == 2);
  CHECK(errors[0].toString() == "plugins[1].name: no plugin server provides plugin \"nope\"");
  CHECK(errors[1].toString() == "plugins[2].config.value: expected a string");

  // Rejected by the server's Configure.
  auto cfg2 = sidecarConfig(address);
  cfg2->plugins = {entity("add-header", "reject-me")};
  auto errors2 = h.reload(cfg2);
  REQUIRE(errors2.size() == 1);
  // The server named the field from the config root ("config.value: ..."): placed at the entity.
  CHECK(errors2[0].toString() == "plugins[0].config.value: rejected by server");
}

TEST_CASE("PluginRuntime.batchingManyConcurrentCalls", "[plugin_runtime]") {
  TempDir dir;
  const std::string address = "unix:" + dir.path + "/s.sock";
  testing::TestPluginServer server(address);
  auto cfg = sidecarConfig(address);
  cfg->plugins = {entity("add-header", "hi")};
  Harness h;
  REQUIRE(h.start(cfg).empty());
  auto reqs = h.access(300);
  for (auto& r : reqs) {
    INFO(r->outcome->message << " status " << r->outcome->status);
    REQUIRE(r->outcome->kind == PhaseOutcome::Kind::Continue);
  }
  auto c = h.counters();
  const auto& s = c["servers"]["test"];
  CHECK(s["phase_calls"] == 300);
  CHECK(s["events_sent"] == 300);
  CHECK(s["batches_sent"].get<int>() <= 3);  // 128 events per message at most.
  CHECK(server.batchesReceived() < server.eventsReceived());
  CHECK(c["round_trips_per_request"] == 1.0);
  h.destroyRequests(reqs);
}

// Log events are self-clocked (server_link.h): with none in flight they leave at once; while
// some are, new ones wait for those to be answered and then leave together.
TEST_CASE("PluginRuntime.logEventsWaitForTheBatchInFlight", "[plugin_runtime]") {
  TempDir dir;
  const std::string address = "unix:" + dir.path + "/s.sock";
  testing::TestPluginServer server(address);
  auto cfg = sidecarConfig(address);
  cfg->plugins = {entity("slow-log", "x")};
  Harness h;
  REQUIRE(h.start(cfg).empty());
  auto sent = [&] { return h.counters()["servers"]["test"]; };

  auto first = h.log(1);  // Nothing in flight: written in this loop pass.
  REQUIRE(h.eventually([&] { return server.eventsReceived() == 1; }));
  // The server holds its reply for 300 ms: these collect meanwhile.
  auto second = h.log(20);
  auto third = h.log(5);
  std::this_thread::sleep_for(100ms);  // Well inside the 300 ms: nothing may leave yet.
  CHECK(sent()["batches_sent"] == 1);
  CHECK(sent()["events_sent"] == 1);
  // The first reply releases them, in one message.
  REQUIRE(h.eventually([&] { return server.eventsReceived() == 26; }));
  CHECK(server.batchesReceived() == 2);
  REQUIRE(h.eventually([&] { return sent()["replies_received"] == 26; }));
  CHECK(sent()["batches_sent"] == 2);
  // Idle again: the next one leaves at once.
  auto fourth = h.log(1);
  REQUIRE(h.eventually([&] { return server.eventsReceived() == 27; }));
  h.destroyRequests(first);
  h.destroyRequests(second);
  h.destroyRequests(third);
  h.destroyRequests(fourth);
}

TEST_CASE("PluginRuntime.fetchAndConsumerReresolution", "[plugin_runtime]") {
  TempDir dir;
  const std::string address = "unix:" + dir.path + "/s.sock";
  testing::TestPluginServer server(address);
  auto cfg = sidecarConfig(address);
  auto tagAlice = entity("tagger", "alice", "t-alice");
  tagAlice.consumerId = "c-alice";
  cfg->plugins = {entity("auth", ""), entity("tagger", "global", "t-global"), tagAlice,
                  entity("node", "")};
  Harness h;
  REQUIRE(h.start(cfg).empty());
  auto ok = h.access(1, [](auto& r) { r.state.request.headers.add("apikey", "secret"); });
  REQUIRE(ok[0]->outcome->kind == PhaseOutcome::Kind::Continue);
  REQUIRE(ok[0]->state.consumer != nullptr);
  CHECK(ok[0]->state.consumer->id == "c-alice");
  CHECK(*ok[0]->state.request.headers.get("X-Tag") == "alice");  // Re-resolved after auth.
  CHECK(*ok[0]->state.request.headers.get("X-Node") == "node-1");  // Fetched.
  auto denied = h.access(1);
  CHECK(denied[0]->outcome->kind == PhaseOutcome::Kind::Exit);
  CHECK(denied[0]->state.exit->status == 401);
  h.destroyRequests(ok);
  h.destroyRequests(denied);
}

TEST_CASE("PluginRuntime.timeoutFailsClosedWith504OrSkipsWhenFailOpen", "[plugin_runtime]") {
  TempDir dir;
  const std::string address = "unix:" + dir.path + "/s.sock";
  testing::TestPluginServer server(address);
  auto cfg = sidecarConfig(address);
  auto slow = entity("slow", "");
  slow.timeout = 100ms;
  cfg->plugins = {slow};
  Harness h;
  REQUIRE(h.start(cfg).empty());
  auto r = h.access(1);
  CHECK(r[0]->outcome->kind == PhaseOutcome::Kind::Fail);
  CHECK(r[0]->outcome->status == 504);
  CHECK(h.eventually([&] { return server.cancelsReceived() == 1; }));

  auto cfg2 = sidecarConfig(address);
  slow.failOpen = true;
  cfg2->plugins = {slow, entity("node", "")};
  REQUIRE(h.reload(cfg2).empty());
  auto r2 = h.access(1);
  CHECK(r2[0]->outcome->kind == PhaseOutcome::Kind::Continue);
  CHECK(r2[0]->state.request.headers.has("X-Node"));  // The rest ran.
  CHECK(h.counters()["timeouts"] == 2);  // The retry without "slow" answered in time.
  h.destroyRequests(r);
  h.destroyRequests(r2);
}

TEST_CASE("PluginRuntime.handlerErrorPolicy", "[plugin_runtime]") {
  TempDir dir;
  const std::string address = "unix:" + dir.path + "/s.sock";
  testing::TestPluginServer server(address);
  auto cfg = sidecarConfig(address);
  cfg->plugins = {entity("fail", ""), entity("node", "")};
  Harness h;
  REQUIRE(h.start(cfg).empty());
  auto r = h.access(1);
  CHECK(r[0]->outcome->kind == PhaseOutcome::Kind::Fail);
  CHECK(r[0]->outcome->status == 500);

  auto cfg2 = sidecarConfig(address);
  auto failOpen = entity("fail", "");
  failOpen.failOpen = true;
  cfg2->plugins = {failOpen, entity("node", "")};
  REQUIRE(h.reload(cfg2).empty());
  auto r2 = h.access(1);
  CHECK(r2[0]->outcome->kind == PhaseOutcome::Kind::Continue);
  CHECK(r2[0]->state.request.headers.has("X-Node"));
  h.destroyRequests(r);
  h.destroyRequests(r2);
}

TEST_CASE("PluginRuntime.unknownInstanceReconfiguresAndRetries", "[plugin_runtime]") {
  TempDir dir;
  const std::string address = "unix:" + dir.path + "/s.sock";
  testing::TestPluginServer server(address);
  auto cfg = sidecarConfig(address);
  cfg->plugins = {entity("add-header", "hi")};
  Harness h;
  REQUIRE(h.start(cfg).empty());
  const auto before = server.configureCalls();
  server.forgetInstances();
  auto r = h.access(1);
  CHECK(r[0]->outcome->kind == PhaseOutcome::Kind::Continue);
  CHECK(*r[0]->state.request.headers.get("X-Added") == "hi");
  CHECK(server.configureCalls() == before + 1);
  h.destroyRequests(r);
}

TEST_CASE("PluginRuntime.sidecarRestartRecovers", "[plugin_runtime]") {
  TempDir dir;
  const std::string address = "unix:" + dir.path + "/s.sock";
  auto server = std::make_unique<testing::TestPluginServer>(address);
  auto cfg = sidecarConfig(address);
  cfg->plugins = {entity("add-header", "hi")};
  Harness h;
  REQUIRE(h.start(cfg).empty());
  REQUIRE(h.access(1)[0]->outcome->kind == PhaseOutcome::Kind::Continue);
  server->shutdown();
  server = std::make_unique<testing::TestPluginServer>(address);  // Knows no instance.
  // The broken stream makes the supervisor reconnect and re-Configure.
  auto r = h.access(1);  // May fail by policy if it raced the break; the next one must work.
  CHECK(h.eventually([&] { return h.counters()["servers"]["test"]["generation"] >= 2; }));
  auto r2 = h.access(1);
  CHECK(r2[0]->outcome->kind == PhaseOutcome::Kind::Continue);
  CHECK(server->knownInstances() == 1);
  h.destroyRequests(r);
  h.destroyRequests(r2);
}

TEST_CASE("PluginRuntime.managedServerKilledIsRestarted", "[plugin_runtime]") {
  auto cfg = sidecarConfig("");
  cfg->pluginServers[0].address.clear();
  cfg->pluginServers[0].command = {TEST_PLUGIN_SERVER_PATH};
  cfg->plugins = {entity("add-header", "hi")};
  Harness h;
  REQUIRE(h.start(cfg).empty());
  REQUIRE(h.access(1)[0]->outcome->kind == PhaseOutcome::Kind::Continue);
  int pid = 0;
  {
    std::lock_guard<std::mutex> lock(h.logMu);
    for (const auto& l : h.logs) {
      auto at = l.find("(pid ");
      if (at != std::string::npos) {
        pid = std::stoi(l.substr(at + 5));
      }
      if (l.find("[plugin-server:test] starting test plugin server") != std::string::npos) {
        SUCCEED("child stdout reached the error log");
      }
    }
  }
  REQUIRE(pid > 0);
  ::kill(pid, SIGKILL);
  CHECK(h.eventually([&] {
    auto s = h.counters()["servers"]["test"];
    return s["restarts"] == 1 && s["ready"] == true && s["generation"] >= 2;
  }));
  auto r = h.access(1);
  CHECK(r[0]->outcome->kind == PhaseOutcome::Kind::Continue);
  CHECK(*r[0]->state.request.headers.get("X-Added") == "hi");
  h.destroyRequests(r);
}

TEST_CASE("PluginRuntime.unreachableServerFailsStart", "[plugin_runtime]") {
  TempDir dir;
  auto cfg = sidecarConfig("unix:" + dir.path + "/nobody.sock");
  cfg->pluginServers[0].startTimeout = 300ms;
  Harness h;
  auto errors = h.start(cfg);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].path == "plugin_servers[0]");
  CHECK(errors[0].message.find("could not be reached within 300 ms") != std::string::npos);
}

TEST_CASE("PluginRuntime.managedCommandRelativeToTheConfigFile", "[plugin_runtime]") {
  // "dir/test_plugin_server" in a file at <build>/test/core/conf.yaml names
  // <build>/test/core/plugin/test_plugin_server whatever the working directory.
  const std::filesystem::path bin(TEST_PLUGIN_SERVER_PATH);
  auto cfg = sidecarConfig("");
  cfg->sourcePath = (bin.parent_path().parent_path() / "conf.yaml").string();
  cfg->pluginServers[0].address.clear();
  cfg->pluginServers[0].command = {bin.parent_path().filename().string() + "/" +
                                   bin.filename().string()};
  cfg->plugins = {entity("add-header", "hi")};
  Harness h;
  REQUIRE(h.start(cfg).empty());
  auto r = h.access(1);
  CHECK(r[0]->outcome->kind == PhaseOutcome::Kind::Continue);
  h.destroyRequests(r);
}

TEST_CASE("PluginRuntime.managedCommandThatCannotStartFailsAtOnce", "[plugin_runtime]") {
  auto cfg = sidecarConfig("");
  cfg->pluginServers[0].address.clear();
  cfg->pluginServers[0].command = {"/nonexistent/plugin-server"};
  cfg->pluginServers[0].startTimeout = 10000ms;
  Harness h;
  const auto began = std::chrono::steady_clock::now();
  auto errors = h.start(cfg);
  CHECK(std::chrono::steady_clock::now() - began < 5000ms);  // Not the start_timeout.
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].path == "plugin_servers[0]");
  CHECK(errors[0].message.find("cannot start /nonexistent/plugin-server") != std::string::npos);
}

TEST_CASE("PluginRuntime.responseHeaderSetInAccessReachesTheResponse", "[plugin_runtime]") {
  TempDir dir;
  const std::string address = "unix:" + dir.path + "/s.sock";
  testing::TestPluginServer server(address);
  auto cfg = sidecarConfig(address);
  cfg->plugins = {entity("early-header", "hi")};
  Harness h;
  REQUIRE(h.start(cfg).empty());
  auto reqs = h.access(1);
  REQUIRE(reqs[0]->outcome);
  CHECK(reqs[0]->outcome->kind == PhaseOutcome::Kind::Continue);
  CHECK_FALSE(reqs[0]->state.response.headers.has("X-Early"));  // No response yet.
  // The proxy runs header_filter for it although no plugin implements it: no round trip.
  CHECK(h.onLoop([&] { return reqs[0]->plugins->wants(Phase::HeaderFilter); }));
  CHECK_FALSE(h.onLoop([&] { return reqs[0]->plugins->wants(Phase::Response); }));
  const auto callsBefore = h.counters()["phase_calls"];
  std::optional<PhaseOutcome> filtered;
  h.onLoop([&] {
    Harness::Request& r = *reqs[0];
    r.state.response.status = 200;
    r.state.response.headers.add("X-Early", "from-upstream");
    r.plugins->runPhase(Phase::HeaderFilter, r.state, [&](PhaseOutcome o) { filtered = o; });
    return 0;
  });
  REQUIRE(filtered);  // Synchronously: nothing to ask the server.
  CHECK(filtered->kind == PhaseOutcome::Kind::Continue);
  CHECK(h.counters()["phase_calls"] == callsBefore);
  CHECK(reqs[0]->state.response.headers.getAll("X-Early").size() == 1);
  CHECK(*reqs[0]->state.response.headers.get("X-Early") == "hi");
  CHECK_FALSE(h.onLoop([&] { return reqs[0]->plugins->wants(Phase::HeaderFilter); }));
  h.destroyRequests(reqs);

  // With an exit, the header is part of the exit's reply.
  auto cfg2 = sidecarConfig(address);
  cfg2->plugins = {entity("early-header", "exit", "e-exit")};
  REQUIRE(h.reload(cfg2).empty());
  auto denied = h.access(1);
  REQUIRE(denied[0]->outcome);
  CHECK(denied[0]->outcome->kind == PhaseOutcome::Kind::Exit);
  REQUIRE(denied[0]->state.exit);
  CHECK(denied[0]->state.exit->status == 403);
  CHECK(*denied[0]->state.exit->headers.get("X-Early") == "exit");
  CHECK_FALSE(h.onLoop([&] { return denied[0]->plugins->wants(Phase::HeaderFilter); }));
  h.destroyRequests(denied);
}
