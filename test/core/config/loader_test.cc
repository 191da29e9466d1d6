// Loading: formats, defaults, ids, the url shorthand, error reporting, the example file.

#include <catch2/catch.hpp>

#include <regex>

#include "config_test_util.h"

namespace gateway::config::test {
namespace {

// Generated ids are name-based (version 5) UUIDs; random key-auth keys are version 4.
const std::regex kUuidV4("[0-9a-f]{8}-[0-9a-f]{4}-[45][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");

TEST_CASE("loads a YAML file with a service and a nested route") {
  auto c = mustLoad(R"(
_format_version: "3.0"
services:
  - name: svc
    host: example.com
    port: 8080
    path: /api
    routes:
      - name: r1
        paths: ["/v1"]
)");
  REQUIRE(c->services.size() == 1);
  CHECK(c->services[0].name == "svc");
  CHECK(c->services[0].host == "example.com");
  CHECK(c->services[0].port == 8080);
  CHECK(c->services[0].path == "/api");
  REQUIRE(c->routes.size() == 1);
  CHECK(c->routes[0].name == "r1");
  CHECK(c->routes[0].serviceId == c->services[0].id);
  CHECK(c->routes[0].paths == std::vector<std::string>{"/v1"});
  CHECK(c->sourcePath == "test.yaml");
  CHECK(c->formatVersion == "3.0");
}

TEST_CASE("loads the same configuration written as JSON") {
  auto c = mustLoad(R"({
  "_format_version": "3.0",
  "services": [{"name": "svc", "host": "example.com", "port": 8080, "retries": 2,
                "routes": [{"name": "r1", "paths": ["/v1"], "strip_path": false}]}],
  "plugins": [{"name": "cors", "config": {"origins": ["*"], "max_age": 3600, "credentials": true,
                                          "exposed": null, "ratio": 0.5}}]
})");
  REQUIRE(c->services.size() == 1);
  CHECK(c->services[0].port == 8080);
  CHECK(c->services[0].retries == 2);
  CHECK_FALSE(c->routes[0].stripPath);
  REQUIRE(c->plugins.size() == 1);
  const auto& cfg = c->plugins[0].config;
  CHECK(cfg["origins"] == nlohmann::json::array({"*"}));
  CHECK(cfg["max_age"] == 3600);
  CHECK(cfg["credentials"] == true);
  CHECK(cfg["exposed"].is_null());
  CHECK(cfg["ratio"] == 0.5);
}

TEST_CASE("a quoted YAML scalar is a string, a plain one is typed") {
  auto c = mustLoad(R"(
_format_version: "3.0"
plugins:
  - name: p
    config: {a: "1", b: 1, c: "true", d: true, e: 0x10, f: 1e3, g: ~, h: hello}
)");
  const auto& cfg = c->plugins[0].config;
  CHECK(cfg["a"] == "1");
  CHECK(cfg["b"] == 1);
  CHECK(cfg["c"] == "true");
  CHECK(cfg["d"] == true);
  CHECK(cfg["e"] == 16);
  CHECK(cfg["f"] == 1000.0);
  CHECK(cfg["g"].is_null());
  CHECK(cfg["h"] == "hello");
  CHECK(errorOf("_format_version: \"3.0\"\nservices: [{host: a.com, port: \"80\"}]\n") ==
        "services[0].port: expected an integer, got a string");
}

TEST_CASE("accepts format versions 3.0, 2.1 and 1.1") {
  for (const char* v : {"\"3.0\"", "\"2.1\"", "\"1.1\"", "3.0"}) {
    auto c = mustLoad(std::string("_format_version: ") + v + "\n");
    CHECK(c->services.empty());
  }
  CHECK(errorOf("_format_version: \"4.0\"\n") == "_format_version: expected one of: \"3.0\", \"2.1\", \"1.1\"");
  CHECK(errorOf("services: []\n") == "_format_version: required field missing");
}

TEST_CASE("legacy formats migrate regex paths as Kong does") {
  auto c = mustLoad(R"(
_format_version: "2.1"
routes:
  - paths: ["/plain/path-1.2_~%20", "/users/\\d+", "~/already"]
)");
  CHECK(c->routes[0].paths == std::vector<std::string>{"/plain/path-1.2_~%20", "~/users/\\d+", "~/already"});
  auto c3 = mustLoad("_format_version: \"3.0\"\nroutes: [{paths: [\"/users/\\\\d+\"]}]\n");
  CHECK(c3->routes[0].paths[0] == "/users/\\d+");
}

TEST_CASE("the url shorthand sets protocol, host, port and path") {
  auto c = mustLoad(R"(
_format_version: "3.0"
services:
  - {name: a, url: "http://up.example:9000/base/path"}
  - {name: b, url: "http://127.0.0.1"}
  - {name: c, url: "http://[::1]:81/"}
)");
  const auto& a = c->services[0];
  CHECK(a.protocol == "http");
  CHECK(a.host == "up.example");
  CHECK(a.port == 9000);
  CHECK(a.path == "/base/path");
  CHECK(c->services[1].host == "127.0.0.1");
  CHECK(c->services[1].port == 80);
  CHECK(c->services[1].path.empty());
  CHECK(c->services[2].host == "::1");
  CHECK(c->services[2].port == 81);
  CHECK(c->services[2].path == "/");
}

TEST_CASE("defaults are Kong's") {
  auto c = mustLoad(R"(
_format_version: "3.0"
services: [{host: example.com, routes: [{paths: ["/"]}]}]
upstreams: [{name: up, targets: [{target: "10.0.0.1"}]}]
consumers: [{username: alice}]
plugins: [{name: cors}]
)");
  const Service& s = c->services[0];
  CHECK(s.protocol == "http");
  CHECK(s.port == 80);
  CHECK(s.path.empty());
  CHECK(s.retries == 5);
  CHECK(s.connectTimeout == Millis(60000));
  CHECK(s.writeTimeout == Millis(60000));
  CHECK(s.readTimeout == Millis(60000));
  CHECK(s.enabled);
  const Route& r = c->routes[0];
  CHECK(r.protocols == std::vector<std::string>{"http", "https"});
  CHECK(r.stripPath);
  CHECK_FALSE(r.preserveHost);
  CHECK(r.regexPriority == 0);
  CHECK(r.pathHandling == "v0");
  CHECK(r.httpsRedirectStatusCode == 426);
  const Upstream& u = c->upstreams[0];
  CHECK(u.algorithm == BalancerAlgorithm::RoundRobin);
  CHECK(u.hashOn == HashOn::None);
  CHECK(u.hashFallback == HashOn::None);
  REQUIRE(u.targets.size() == 1);
  CHECK(u.targets[0].host == "10.0.0.1");
  CHECK(u.targets[0].port == 8000);
  CHECK(u.targets[0].weight == 100);
  const PluginEntity& p = c->plugins[0];
  CHECK(p.enabled);
  CHECK(p.protocols == std::vector<std::string>{"grpc", "grpcs", "http", "https"});
  CHECK(p.config == nlohmann::json::object());
  CHECK_FALSE(p.timeout);
  CHECK_FALSE(p.failOpen);
  CHECK(p.path == "plugins[0]");
  CHECK(c->transform);
  const GatewaySettings& g = c->gateway;
  REQUIRE(g.listen.size() == 1);
  CHECK(g.listen[0].host == "0.0.0.0");
  CHECK(g.listen[0].port == 8000);
  CHECK(g.workers == 0);
  CHECK(g.drainTimeout == Millis(30000));
  CHECK_FALSE(g.statusListen);
  CHECK(c->pluginServers.empty());
}

TEST_CASE("generates name-based uuids for entities without one and keeps given ids") {
  auto c = mustLoad(R"(
_format_version: "3.0"
services:
  - id: 0D7E6C1A-1111-4222-8333-444455556666
    host: a.com
    routes: [{paths: ["/"], plugins: [{name: p1}]}]
  - host: b.com
upstreams: [{name: up, targets: [{target: "a:1"}]}]
consumers: [{username: u, keyauth_credentials: [{key: k}]}]
)");
  CHECK(c->services[0].id == "0D7E6C1A-1111-4222-8333-444455556666");
  CHECK(std::regex_match(c->services[1].id, kUuidV4));
  CHECK(c->services[0].id != c->services[1].id);
  CHECK(std::regex_match(c->routes[0].id, kUuidV4));
  CHECK(std::regex_match(c->plugins[0].id, kUuidV4));
  CHECK(std::regex_match(c->upstreams[0].id, kUuidV4));
  CHECK(std::regex_match(c->upstreams[0].targets[0].id, kUuidV4));
  CHECK(std::regex_match(c->consumers[0].id, kUuidV4));
  CHECK(std::regex_match(c->consumers[0].credentials[0].id, kUuidV4));
  CHECK(c->plugins[0].routeId == c->routes[0].id);
}

TEST_CASE("route order is the position in the file, nested and top-level alike") {
  auto c = mustLoad(R"(
_format_version: "3.0"
routes:
  - {name: first, paths: ["/a"], service: s2}
services:
  - name: s1
    host: a.com
    routes: [{name: second, paths: ["/b"]}, {name: third, paths: ["/c"]}]
  - name: s2
    host: b.com
    routes: [{name: fourth, hosts: ["x.com"]}]
)");
  REQUIRE(c->routes.size() == 4);
  const char* names[] = {"first", "second", "third", "fourth"};
  for (size_t i = 0; i < 4; ++i) {
    CHECK(c->routes[i].name == names[i]);
    CHECK(c->routes[i].order == i);
  }
  CHECK(c->routes[0].serviceId == c->services[1].id);
}

TEST_CASE("_comment and _ignore are ignored at any level; _transform is read") {
  auto c = mustLoad(R"(
_format_version: "3.0"
_transform: false
_comment: top
_ignore: [anything]
gantry: {_comment: x, log: {_comment: y}}
services:
  - _comment: a service
    _ignore: {what: ever}
    host: a.com
    routes: [{_comment: r, paths: ["/"], headers: {_comment: h, x-a: ["1"]}}]
plugins: [{name: p, _comment: c, config: {_comment: inner, a: 1}}]
consumers: [{username: u, keyauth_credentials: [{key: k, _comment: c}]}]
)");
  CHECK_FALSE(c->transform);
  CHECK(c->routes[0].headers.size() == 1);
  CHECK(c->plugins[0].config == nlohmann::json{{"a", 1}});
  CHECK(c->consumers[0].credentials[0].fields == nlohmann::json{{"key", "k"}});
}

TEST_CASE("Kong fields gantry does not implement are accepted only when unset") {
  mustLoad(R"(
_format_version: "3.0"
certificates: []
services:
  - host: a.com
    tls_verify: null
    ca_certificates: []
    created_at: 1700000000
    routes: [{paths: ["/"], snis: [], request_buffering: true, response_buffering: true}]
upstreams: [{name: up, slots: 10000, healthchecks: {active: {}}, use_srv_name: false}]
)");
  auto errors = errorsOf(R"(
_format_version: "3.0"
certificates: [{cert: x}]
services:
  - host: a.com
    tls_verify: true
    routes: [{paths: ["/"], snis: [a.com], request_buffering: false}]
)");
  CHECK(errors == std::vector<std::string>{
                      "certificates: is not supported by gantry",
                      "services[0].tls_verify: is not supported by gantry",
                      "services[0].routes[0].snis: is not supported by gantry",
                      "services[0].routes[0].request_buffering: is not supported by gantry (only true)",
                  });
}

TEST_CASE("reports all errors together, in file order") {
  auto errors = errorsOf(R"(
_format_version: "3.0"
routes:
  - {paths: ["x"], service: missing}
services:
  - name: a
    port: 0
    routes:
      - paths: ["/ok", "bad"]
        methods: [get]
  - name: a
    host: b.com
    bogus: 1
plugin_servers:
  - {name: s}
)");
  CHECK(errors == std::vector<std::string>{
                      "routes[0].paths[0]: must start with \"/\"",
                      "routes[0].service: references unknown service 'missing'",
                      "services[0].host: required field missing",
                      "services[0].port: value should be between 1 and 65535",
                      "services[0].routes[0].paths[1]: must start with \"/\"",
                      "services[0].routes[0].methods[0]: invalid method 'get': must be upper-case letters (e.g. GET)",
                      "services[1].name: duplicate service name 'a'",
                      "services[1].bogus: unknown field",
                      "plugin_servers[0]: set exactly one of 'command' (gantry starts the server) or "
                      "'address' (the server runs on its own)",
                  });
}

TEST_CASE("reference and uniqueness errors") {
  auto errors = errorsOf(R"(
_format_version: "3.0"
routes:
  - {paths: ["/x"], service: missing}
services:
  - {name: a, host: a.com}
  - {name: a, host: b.com}
)");
  CHECK(errors == std::vector<std::string>{
                      "routes[0].service: references unknown service 'missing'",
                      "services[1].name: duplicate service name 'a'",
                  });
}

TEST_CASE("broken YAML is an error with its line and column") {
  LoadResult r = loadString("_format_version: \"3.0\"\nservices: [a,\n  b: }\n", "bad.yaml");
  CHECK_FALSE(r.config);
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].path.empty());
  CHECK(r.errors[0].line == 3);
  CHECK(r.errors[0].column > 0);
  CHECK_THAT(r.errors[0].message, Catch::StartsWith("line 3, column "));
}

TEST_CASE("broken JSON is an error too") {
  LoadResult r = loadString(R"({"_format_version": "3.0", "services": [{"host": "a.com",}])", "bad.json");
  CHECK_FALSE(r.config);
  REQUIRE(r.errors.size() == 1);
  CHECK_THAT(r.errors[0].message, Catch::StartsWith("line 1, column "));
}

TEST_CASE("numbers that do not fit are errors, not exceptions") {
  CHECK(errorOf("_format_version: \"3.0\"\nplugins: [{name: p, config: {a: 1e999}}]\n") ==
        "plugins[0].config.a: number out of range");
  CHECK(errorOf("_format_version: \"3.0\"\nplugins: [{name: p, config: {a: 99999999999999999999}}]\n") ==
        "plugins[0].config.a: integer out of range");
  CHECK(errorOf("_format_version: \"3.0\"\nservices: [{host: a.com, port: 99999999999999999999}]\n") ==
        "services[0].port: value should be between 1 and 65535");
}

TEST_CASE("an empty file, a non-object file and a missing file are errors") {
  CHECK(errorOf("") == "the file is empty (expected at least _format_version: \"3.0\")");
  CHECK(errorOf("# only a comment\n") == "the file is empty (expected at least _format_version: \"3.0\")");
  CHECK(errorOf("[1, 2]") == "expected an object, got an array");
  LoadResult r = loadFile("/nonexistent/gantry.yaml");
  CHECK_FALSE(r.config);
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].toString() == "cannot open file '/nonexistent/gantry.yaml'");
}

TEST_CASE("error positions are 1-based lines and columns") {
  LoadResult r = loadString("_format_version: \"3.0\"\nservices:\n  - host: a.com\n    port: 0\n", "t.yaml");
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].line == 4);
  CHECK(r.errors[0].column == 11);
}

TEST_CASE("the example configuration loads") {
  LoadResult r = loadFile(GANTRY_EXAMPLE_CONFIG);
  for (const auto& e : r.errors) UNSCOPED_INFO(e.toString());
  REQUIRE(r.errors.empty());
  const Config& c = *r.config;
  REQUIRE(c.gateway.listen.size() == 1);
  CHECK(c.gateway.listen[0].host == "0.0.0.0");
  CHECK(c.gateway.listen[0].port == 8000);
  const Service* s = c.findService(c.routes.at(0).serviceId);
  REQUIRE(s);
  CHECK(s->name == "example-service");
  CHECK(s->host == "127.0.0.1");
  CHECK(s->port == 9000);
  CHECK(c.routes[0].name == "example-route");
  CHECK(c.routes[0].paths == std::vector<std::string>{"/"});
  REQUIRE(c.pluginServers.size() == 1);
  CHECK(c.pluginServers[0].name == "go-hello");
}

TEST_CASE("find helpers look up by id or name") {
  auto c = mustLoad(R"(
_format_version: "3.0"
services: [{name: s, host: up}]
upstreams: [{name: up}]
consumers: [{username: alice}]
)");
  CHECK(c->findService(c->services[0].id) == &c->services[0]);
  CHECK(c->findService("s") == nullptr);
  CHECK(c->findUpstream("up") == &c->upstreams[0]);
  CHECK(c->findUpstream("nope") == nullptr);
  CHECK(c->findConsumer(c->consumers[0].id) == &c->consumers[0]);
  CHECK(c->findConsumer("alice") == nullptr);
}

} // namespace
} // namespace gateway::config::test
