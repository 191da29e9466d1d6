// Entities: nested and top-level routes, plugins, targets, credentials; gantry settings and
// plugin servers.

#include <catch2/catch.hpp>

#include "config_test_util.h"

namespace gateway::config::test {
namespace {

TEST_CASE("top-level routes refer to a service by name, id or {name}/{id}") {
  auto c = mustLoad(R"(
_format_version: "3.0"
services:
  - {name: s1, id: 11111111-1111-4111-8111-111111111111, host: a.com}
routes:
  - {name: by-name, paths: ["/a"], service: s1}
  - {name: by-id, paths: ["/b"], service: 11111111-1111-4111-8111-111111111111}
  - {name: by-name-obj, paths: ["/c"], service: {name: s1}}
  - {name: by-id-obj, paths: ["/d"], service: {id: 11111111-1111-4111-8111-111111111111}}
  - {name: no-service, paths: ["/e"]}
)");
  for (size_t i = 0; i < 4; ++i) CHECK(c->routes[i].serviceId == c->services[0].id);
  CHECK(c->routes[4].serviceId.empty());
  CHECK(errorOf("_format_version: \"3.0\"\nservices: [{name: s1, host: a.com}]\n"
                "routes: [{paths: [\"/\"], service: {id: s1}}]\n") ==
        "routes[0].service: references unknown service 's1'");
}

TEST_CASE("route fields are read") {
  auto c = mustLoad(R"(
_format_version: "3.0"
routes:
  - name: r
    protocols: [http]
    methods: [GET, POST]
    hosts: ["example.com", "*.example.com", "example.*", "api.example.com:8000"]
    paths: ["/users", "~/users/(?<id>\\d+)$"]
    headers: {X-Version: ["v1", "v2"]}
    regex_priority: 10
    strip_path: false
    preserve_host: true
    path_handling: v1
    https_redirect_status_code: 301
    tags: [a, b]
)");
  const Route& r = c->routes[0];
  CHECK(r.protocols == std::vector<std::string>{"http"});
  CHECK(r.methods == std::vector<std::string>{"GET", "POST"});
  CHECK(r.hosts.size() == 4);
  CHECK(r.paths[1] == "~/users/(?<id>\\d+)$");
  REQUIRE(r.headers.count("x-version"));
  CHECK(r.headers.at("x-version") == std::vector<std::string>{"v1", "v2"});
  CHECK(r.regexPriority == 10);
  CHECK_FALSE(r.stripPath);
  CHECK(r.preserveHost);
  CHECK(r.pathHandling == "v1");
  CHECK(r.httpsRedirectStatusCode == 301);
  CHECK(r.tags == std::vector<std::string>{"a", "b"});
}

TEST_CASE("upstreams with nested and top-level targets") {
  auto c = mustLoad(R"(
_format_version: "3.0"
upstreams:
  - name: up
    algorithm: consistent-hashing
    hash_on: header
    hash_on_header: X-User
    hash_fallback: ip
    host_header: backend.local
    passive_health: {unhealthy_failures: 5, unhealthy_duration: 2000}
    targets:
      - {target: "10.0.0.1:8080", weight: 50}
      - {target: "[::1]:9000"}
targets:
  - {target: "backend.local", upstream: up, weight: 0}
  - {target: "10.0.0.9:1", upstream: {name: up}}
)");
  const Upstream& u = c->upstreams[0];
  CHECK(u.algorithm == BalancerAlgorithm::ConsistentHashing);
  CHECK(u.hashOn == HashOn::Header);
  CHECK(u.hashOnHeader == "X-User");
  CHECK(u.hashFallback == HashOn::Ip);
  CHECK(u.hostHeader == "backend.local");
  CHECK(u.passive.unhealthyFailures == 5);
  CHECK(u.passive.unhealthyDuration == Millis(2000));
  REQUIRE(u.targets.size() == 4);
  CHECK(u.targets[0].host == "10.0.0.1");
  CHECK(u.targets[0].port == 8080);
  CHECK(u.targets[0].weight == 50);
  CHECK(u.targets[1].host == "::1");
  CHECK(u.targets[1].port == 9000);
  CHECK(u.targets[2].host == "backend.local");
  CHECK(u.targets[2].port == 8000);
  CHECK(u.targets[2].weight == 0);
  CHECK(u.targets[3].port == 1);
}

TEST_CASE("consumers with nested and top-level credentials") {
  auto c = mustLoad(R"(
_format_version: "3.0"
consumers:
  - username: alice
    custom_id: A-1
    tags: [vip]
    keyauth_credentials: [{key: alice-key, ttl: 3600}]
    basicauth_credentials: [{username: alice, password: secret}]
    acls: [{group: admins}]
    jwt_secrets: [{key: iss-alice, secret: s, algorithm: HS256}]
    hmacauth_credentials: [{username: alice-hmac, secret: s}]
    oauth2_credentials: [{name: app, client_id: cid}]
  - custom_id: only-custom
    id: 22222222-2222-4222-8222-222222222222
    keyauth_credentials: [{}]
keyauth_credentials:
  - {consumer: alice, key: second-key}
  - {consumer: {username: alice}, key: third-key}
acls:
  - {consumer: 22222222-2222-4222-8222-222222222222, group: g}
)");
  REQUIRE(c->consumers.size() == 2);
  const Consumer& a = c->consumers[0];
  CHECK(a.username == "alice");
  CHECK(a.customId == "A-1");
  CHECK(a.tags == std::vector<std::string>{"vip"});
  REQUIRE(a.credentials.size() == 8);
  CHECK(a.credentials[0].type == "keyauth_credentials");
  CHECK(a.credentials[0].fields == nlohmann::json{{"key", "alice-key"}, {"ttl", 3600}});
  CHECK(a.credentials[1].type == "basicauth_credentials");
  CHECK(a.credentials[1].fields["password"] == "secret");
  CHECK(a.credentials[2].type == "acls");
  CHECK(a.credentials[3].type == "jwt_secrets");
  CHECK(a.credentials[4].type == "hmacauth_credentials");
  CHECK(a.credentials[5].type == "oauth2_credentials");
  CHECK(a.credentials[6].fields["key"] == "second-key");
  CHECK(a.credentials[7].fields["key"] == "third-key");
  const Consumer& b = c->consumers[1];
  REQUIRE(b.credentials.size() == 2);
  CHECK(b.credentials[0].fields["key"].is_string());  // generated, as Kong does
  CHECK_FALSE(b.credentials[0].fields["key"].get<std::string>().empty());
  // A consumer can be referred to by its id too.
  auto c2 = mustLoad("_format_version: \"3.0\"\nconsumers: [{username: u, id: 11111111-1111-4111-8111-111111111111}]\n"
                     "acls: [{consumer: 11111111-1111-4111-8111-111111111111, group: g}]\n");
  CHECK(c2->consumers[0].credentials.size() == 1);
}

TEST_CASE("plugins: global, nested and top-level with refs") {
  auto c = mustLoad(R"(
_format_version: "3.0"
plugins:
  - {name: global-one}
  - {name: scoped, service: s, route: r, consumer: alice, instance_name: scoped-1}
  - {name: scoped, service: s}
services:
  - name: s
    host: a.com
    plugins: [{name: on-service, enabled: false, protocols: [http], tags: [t]}]
    routes:
      - name: r
        paths: ["/"]
        plugins: [{name: on-route, timeout: 250, fail_open: true, config: {x: [1, 2]}}]
consumers:
  - username: alice
    plugins: [{name: on-consumer}]
)");
  REQUIRE(c->plugins.size() == 6);
  const auto& ps = c->plugins;
  const std::string sid = c->services[0].id, rid = c->routes[0].id, cid = c->consumers[0].id;
  CHECK((ps[0].serviceId.empty() && ps[0].routeId.empty() && ps[0].consumerId.empty()));
  CHECK(ps[1].serviceId == sid);
  CHECK(ps[1].routeId == rid);
  CHECK(ps[1].consumerId == cid);
  CHECK(ps[1].instanceName == "scoped-1");
  CHECK(ps[2].serviceId == sid);
  CHECK(ps[2].routeId.empty());
  CHECK(ps[3].name == "on-service");
  CHECK(ps[3].serviceId == sid);
  CHECK_FALSE(ps[3].enabled);
  CHECK(ps[3].protocols == std::vector<std::string>{"http"});
  CHECK(ps[3].path == "services[0].plugins[0]");
  CHECK(ps[4].name == "on-route");
  CHECK(ps[4].routeId == rid);
  CHECK(ps[4].serviceId.empty());  // Kong: only the direct parent is set
  CHECK(ps[4].timeout == Millis(250));
  CHECK(ps[4].failOpen == true);
  CHECK(ps[4].config == nlohmann::json{{"x", {1, 2}}});
  CHECK(ps[5].consumerId == cid);
}

TEST_CASE("gantry settings are read") {
  auto c = mustLoad(R"(
_format_version: "3.0"
gantry:
  listen: ["0.0.0.0:8000", "[::]:8443", {host: 127.0.0.1, port: 9001}]
  workers: 4
  drain_timeout: 5000
  status_listen: "127.0.0.1:8100"
  latency_headers: false
  server_tokens: false
  limits:
    max_request_line_bytes: 4096
    max_header_bytes: 16384
    max_header_count: 50
    max_body_bytes: 1048576
    client_header_timeout: 1000
    client_body_timeout: 2000
    keepalive_timeout: 3000
    max_connections: 100
    upstream_keepalive_pool_size: 0
    upstream_keepalive_idle_timeout: 4000
    buffer_bytes: 1024
  log:
    access_log: /var/log/gantry/access.log
    access_log_format: text
    error_log: stdout
    error_log_level: debug
)");
  const GatewaySettings& g = c->gateway;
  REQUIRE(g.listen.size() == 3);
  CHECK(g.listen[1].host == "::");
  CHECK(g.listen[1].port == 8443);
  CHECK(g.listen[2].host == "127.0.0.1");
  CHECK(g.listen[2].port == 9001);
  CHECK(g.workers == 4);
  CHECK(g.drainTimeout == Millis(5000));
  REQUIRE(g.statusListen);
  CHECK(g.statusListen->port == 8100);
  CHECK_FALSE(g.latencyHeaders);
  CHECK_FALSE(g.serverTokens);
  const Limits& l = g.limits;
  CHECK(l.maxRequestLineBytes == 4096);
  CHECK(l.maxHeaderBytes == 16384);
  CHECK(l.maxHeaderCount == 50);
  CHECK(l.maxBodyBytes == 1048576);
  CHECK(l.clientHeaderTimeout == Millis(1000));
  CHECK(l.clientBodyTimeout == Millis(2000));
  CHECK(l.keepaliveTimeout == Millis(3000));
  CHECK(l.maxConnections == 100);
  CHECK(l.upstreamKeepalivePoolSize == 0);
  CHECK(l.upstreamKeepaliveIdleTimeout == Millis(4000));
  CHECK(l.bufferBytes == 1024);
  CHECK(g.log.accessLog == "/var/log/gantry/access.log");
  CHECK(g.log.accessLogFormat == LogFormat::Text);
  CHECK(g.log.errorLog == "stdout");
  CHECK(g.log.errorLogLevel == "debug");
}

TEST_CASE("plugin servers are read") {
  auto c = mustLoad(R"(
_format_version: "3.0"
plugin_servers:
  - name: go-hello
    command: ["./go-hello", "-v"]
    env: {GREETING: hi, PORT: 8080}
    start_timeout: 2000
    phase_timeout: 100
    fail_open: true
    streams: 2
  - name: sidecar
    address: "unix:/run/sidecar.sock"
  - name: remote
    address: "10.0.0.5:7000"
)");
  REQUIRE(c->pluginServers.size() == 3);
  const PluginServer& s = c->pluginServers[0];
  CHECK(s.name == "go-hello");
  CHECK(s.command == std::vector<std::string>{"./go-hello", "-v"});
  CHECK(s.env == std::map<std::string, std::string>{{"GREETING", "hi"}, {"PORT", "8080"}});
  CHECK(s.address.empty());
  CHECK(s.startTimeout == Millis(2000));
  CHECK(s.phaseTimeout == Millis(100));
  CHECK(s.failOpen);
  CHECK(s.streams == 2);
  CHECK(c->pluginServers[1].address == "unix:/run/sidecar.sock");
  CHECK(c->pluginServers[1].command.empty());
  CHECK(c->pluginServers[1].startTimeout == Millis(10000));
  CHECK(c->pluginServers[1].phaseTimeout == Millis(5000));
  CHECK_FALSE(c->pluginServers[1].failOpen);
  CHECK(c->pluginServers[1].streams == 0);
  CHECK(c->pluginServers[2].address == "10.0.0.5:7000");
}

} // namespace
} // namespace gateway::config::test

TEST_CASE("listen addresses accept port 0 (kernel-chosen), targets do not") {
  auto cfg = gateway::config::test::mustLoad(R"(
_format_version: "3.0"
gantry:
  listen: ["127.0.0.1:0", {host: 127.0.0.1, port: 0}]
)");
  REQUIRE(cfg->gateway.listen.size() == 2);
  CHECK(cfg->gateway.listen[0].port == 0);
  CHECK(cfg->gateway.listen[1].port == 0);
  auto errors = gateway::config::test::errorsOf(R"(
_format_version: "3.0"
upstreams:
- name: u
  targets: [{target: "127.0.0.1:0"}]
)");
  CHECK(errors.size() == 1);
}

TEST_CASE("entities without an id get the same id on every load") {
  const char* text = R"(
_format_version: "3.0"
services:
- name: s
  url: http://127.0.0.1:9000
  routes:
  - name: r
    paths: ["/"]
    plugins:
    - name: p
  - paths: ["/b"]
plugins:
- name: p
consumers:
- username: alice
)";
  auto a = gateway::config::test::mustLoad(text);
  auto b = gateway::config::test::mustLoad(text);
  CHECK(a->services[0].id == b->services[0].id);
  CHECK(a->routes[0].id == b->routes[0].id);
  CHECK(a->routes[1].id == b->routes[1].id);
  CHECK(a->routes[0].id != a->routes[1].id);
  CHECK(a->plugins[0].id == b->plugins[0].id);
  CHECK(a->plugins[0].id != a->plugins[1].id);
  CHECK(a->consumers[0].id == b->consumers[0].id);
  CHECK(a->services[0].id.size() == 36);
}
