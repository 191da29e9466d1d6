// Validation: one test per class of error, each checking the exact path and message.

#include <catch2/catch.hpp>

#include "config_test_util.h"

namespace gateway::config::test {
namespace {

const std::string kHead = "_format_version: \"3.0\"\n";

std::string err(const std::string& body) { return errorOf(kHead + body); }

TEST_CASE("unknown fields and wrong types") {
  CHECK(err("services: [{host: a.com, hots: x}]\n") == "services[0].hots: unknown field");
  CHECK(err("bogus: 1\n") == "bogus: unknown field");
  CHECK(err("services: {host: a.com}\n") == "services: expected an array, got an object");
  CHECK(err("services: [a.com]\n") == "services[0]: expected an object, got a string");
  CHECK(err("services: [{host: a.com, retries: x}]\n") == "services[0].retries: expected an integer, got a string");
  CHECK(err("services: [{host: 1}]\n") == "services[0].host: expected a string, got an integer");
  CHECK(err("services: [{host: a.com, enabled: yes}]\n") == "services[0].enabled: expected a boolean, got a string");
  CHECK(err("routes: [{paths: \"/\"}]\n") == "routes[0].paths: expected an array, got a string");
  CHECK(err("routes: [{paths: [\"/\", 1]}]\n") == "routes[0].paths[1]: expected a string, got an integer");
  CHECK(err("services: [{host: a.com, host: b.com}]\n") == "services[0].host: duplicate key");
  CHECK(err("gantry: {limits: {max_body: 1}}\n") == "gantry.limits.max_body: unknown field");
}

TEST_CASE("service validation") {
  CHECK(err("services: [{name: s}]\n") == "services[0].host: required field missing");
  CHECK(err("services: [{host: a.com, port: 65536}]\n") == "services[0].port: value should be between 1 and 65535");
  CHECK(err("services: [{host: a.com, protocol: https}]\n") == "services[0].protocol: https upstreams are not supported yet");
  CHECK(err("services: [{host: a.com, protocol: grpc}]\n") == "services[0].protocol: expected one of: \"http\"");
  CHECK(err("services: [{url: \"https://a.com\"}]\n") == "services[0].url: https upstreams are not supported yet");
  CHECK(err("services: [{url: \"a.com:80\"}]\n") ==
        "services[0].url: invalid url 'a.com:80': expected protocol://host[:port][/path]");
  CHECK(err("services: [{url: \"http://a.com:0\"}]\n") ==
        "services[0].url: invalid url 'http://a.com:0': invalid port '0' (expected 1-65535)");
  CHECK(err("services: [{url: \"http://a.com\", port: 80}]\n") == "services[0].port: cannot be set together with url");
  CHECK(err("services: [{host: a.com, retries: 32768}]\n") == "services[0].retries: value should be between 0 and 32767");
  CHECK(err("services: [{host: a.com, connect_timeout: 0}]\n") ==
        "services[0].connect_timeout: value should be between 1 and 2147483647");
  CHECK(err("services: [{host: a.com, read_timeout: 2147483648}]\n") ==
        "services[0].read_timeout: value should be between 1 and 2147483647");
  CHECK(err("services: [{host: \"bad host\"}]\n") == "services[0].host: invalid host 'bad host'");
  CHECK(err("services: [{host: a.com, path: api}]\n") == "services[0].path: must start with \"/\"");
  CHECK(err("services: [{host: a.com, name: \"a b\"}]\n") ==
        "services[0].name: invalid value 'a b': the only accepted ascii characters are alphanumerics or ., -, _, and ~");
  CHECK(err("services: [{host: a.com, id: 123-abc}]\n") == "services[0].id: expected a valid UUID");
  CHECK(err("services: [{host: a.com, tags: [\"a,b\"]}]\n") ==
        "services[0].tags[0]: invalid tag 'a,b': use printable characters other than ',' and '/'");
}

TEST_CASE("route validation") {
  CHECK(err("services: [{host: a.com, routes: [{paths: [\"/a\"]}, {paths: [\"a\"]}]}]\n") ==
        "services[0].routes[1].paths[0]: must start with \"/\"");
  CHECK(err("routes: [{name: r}]\n") == "routes[0]: must set one of 'methods', 'hosts', 'headers', 'paths'");
  CHECK(err("routes: [{paths: []}]\n") == "routes[0]: must set one of 'methods', 'hosts', 'headers', 'paths'");
  CHECK_THAT(err("routes: [{paths: [\"~/a(b\"]}]\n"), Catch::StartsWith("routes[0].paths[0]: invalid regex '/a(b': "));
  CHECK_THAT(err("routes: [{paths: [\"~/(?<=a)b\"]}]\n"), Catch::StartsWith("routes[0].paths[0]: invalid regex"));
  CHECK(err("routes: [{paths: [\"/a b\"]}]\n") ==
        "routes[0].paths[0]: invalid path '/a b': must not contain spaces or control characters");
  CHECK(err("routes: [{paths: [\"/a%zz\"]}]\n") == "routes[0].paths[0]: invalid path '/a%zz': bad percent-encoding");
  CHECK(err("routes: [{hosts: [\"a.*.com\"]}]\n") ==
        "routes[0].hosts[0]: invalid wildcard 'a.*.com': the wildcard must be the leftmost or rightmost label");
  CHECK(err("routes: [{hosts: [\"*.*.com\"]}]\n") ==
        "routes[0].hosts[0]: invalid wildcard '*.*.com': the wildcard must be the leftmost or rightmost label");
  CHECK(err("routes: [{hosts: [\"a*.com\"]}]\n") ==
        "routes[0].hosts[0]: invalid wildcard 'a*.com': the wildcard must be the leftmost or rightmost label");
  CHECK(err("routes: [{hosts: [\"exa mple.com\"]}]\n") == "routes[0].hosts[0]: invalid host 'exa mple.com'");
  CHECK(err("routes: [{methods: [GET, Post]}]\n") ==
        "routes[0].methods[1]: invalid method 'Post': must be upper-case letters (e.g. GET)");
  CHECK(err("routes: [{paths: [\"/\"], protocols: [tcp]}]\n") ==
        "routes[0].protocols[0]: expected one of: \"http\", \"https\" (gantry routes HTTP only)");
  CHECK(err("routes: [{paths: [\"/\"], path_handling: v2}]\n") ==
        "routes[0].path_handling: expected one of: \"v0\", \"v1\"");
  CHECK(err("routes: [{paths: [\"/\"], https_redirect_status_code: 303}]\n") ==
        "routes[0].https_redirect_status_code: expected one of: 426, 301, 302, 307, 308");
  CHECK(err("routes: [{headers: {Host: [a.com]}}]\n") ==
        "routes[0].headers.Host: cannot contain 'host' header, which must be specified in the 'hosts' attribute");
  CHECK(err("routes: [{headers: {x-a: b}}]\n") == "routes[0].headers.x-a: expected an array, got a string");
  CHECK(err("routes: [{paths: [\"/\"], service: nope}]\n") == "routes[0].service: references unknown service 'nope'");
  CHECK(err("services: [{host: a.com, routes: [{paths: [\"/\"], service: x}]}]\n") ==
        "services[0].routes[0].service: must not be set on a route nested under a service");
  CHECK(err("routes: [{paths: [\"/\"], name: r}, {paths: [\"/\"], name: r}]\n") ==
        "routes[1].name: duplicate route name 'r'");
  CHECK(err("services: [{host: a.com, id: 11111111-1111-4111-8111-111111111111}, "
            "{host: b.com, id: 11111111-1111-4111-8111-111111111111}]\n") ==
        "services[1].id: duplicate service id '11111111-1111-4111-8111-111111111111'");
}

TEST_CASE("regex paths with named groups compile") {
  mustLoad(kHead + "routes: [{paths: [\"~/users/(?<id>\\\\d+)/(?<name>[a-z]+)$\", \"~/x/(?P<v>.*)\"]}]\n");
}

TEST_CASE("upstream and target validation") {
  CHECK(errorsOf(kHead + "upstreams: [{algorithm: random}]\n").size() == 2);
  CHECK(err("upstreams: [{name: up, algorithm: latency}]\n") ==
        "upstreams[0].algorithm: expected one of: \"round-robin\", \"consistent-hashing\", \"least-connections\"");
  CHECK(err("upstreams: [{name: up, hash_on: cookie}]\n") ==
        "upstreams[0].hash_on: expected one of: \"none\", \"ip\", \"header\", \"consumer\"");
  CHECK(err("upstreams: [{name: up, hash_on: header}]\n") ==
        "upstreams[0].hash_on_header: required when hash_on is \"header\"");
  CHECK(err("upstreams: [{name: up, hash_fallback: ip}]\n") ==
        "upstreams[0].hash_fallback: must be \"none\" when hash_on is \"none\"");
  CHECK(err("upstreams: [{name: up, hash_on: ip, hash_fallback: ip}]\n") ==
        "upstreams[0].hash_fallback: must differ from hash_on");
  CHECK(err("upstreams: [{name: up, targets: [{target: \"a.com:99999\"}]}]\n") ==
        "upstreams[0].targets[0].target: invalid target 'a.com:99999': invalid port '99999' (expected 1-65535)");
  CHECK(err("upstreams: [{name: up, targets: [{target: \"a.com:80\", weight: 70000}]}]\n") ==
        "upstreams[0].targets[0].weight: value should be between 0 and 65535");
  CHECK(err("upstreams: [{name: up, targets: [{weight: 1}]}]\n") ==
        "upstreams[0].targets[0].target: required field missing");
  CHECK(err("upstreams: [{name: up, targets: [{target: \"a:1\"}, {target: \"a:1\"}]}]\n") ==
        "upstreams[0].targets[1].target: duplicate target target 'a:1'");
  CHECK(err("upstreams: [{name: up}, {name: up}]\n") == "upstreams[1].name: duplicate upstream name 'up'");
  CHECK(err("targets: [{target: \"a:1\", upstream: nope}]\n") == "targets[0].upstream: references unknown upstream 'nope'");
  CHECK(err("targets: [{target: \"a:1\"}]\n") == "targets[0].upstream: required field missing");
  CHECK(err("upstreams: [{name: up, targets: [{target: \"a:1\", upstream: up}]}]\n") ==
        "upstreams[0].targets[0].upstream: must not be set on a target nested under an upstream");
}

TEST_CASE("consumer and credential validation") {
  CHECK(err("consumers: [{tags: [a]}]\n") ==
        "consumers[0]: at least one of these fields must be non-empty: 'custom_id', 'username'");
  CHECK(err("consumers: [{username: a}, {username: a}]\n") == "consumers[1].username: duplicate consumer username 'a'");
  CHECK(err("consumers: [{username: a, basicauth_credentials: [{username: a}]}]\n") ==
        "consumers[0].basicauth_credentials[0].password: required field missing");
  CHECK(err("consumers: [{username: a, acls: [{}]}]\n") == "consumers[0].acls[0].group: required field missing");
  CHECK(err("consumers: [{username: a, keyauth_credentials: [{key: k}]}, {username: b, keyauth_credentials: [{key: k}]}]\n") ==
        "consumers[1].keyauth_credentials[0].key: duplicate keyauth_credentials key 'k'");
  CHECK(err("keyauth_credentials: [{key: k, consumer: nobody}]\n") ==
        "keyauth_credentials[0].consumer: references unknown consumer 'nobody'");
  CHECK(err("keyauth_credentials: [{key: k}]\n") == "keyauth_credentials[0].consumer: required field missing");
  CHECK(err("consumers: [{username: a, acls: [{group: g, consumer: a}]}]\n") ==
        "consumers[0].acls[0].consumer: must not be set on a credential nested under a consumer");
  CHECK(err("consumers: [{username: a, unknown_things: []}]\n") == "consumers[0].unknown_things: unknown field");
}

TEST_CASE("plugin validation") {
  CHECK(err("plugins: [{config: {}}]\n") == "plugins[0].name: required field missing");
  CHECK(err("plugins: [{name: p, config: [1]}]\n") == "plugins[0].config: expected an object, got an array");
  CHECK(err("plugins: [{name: p, enabled: \"true\"}]\n") == "plugins[0].enabled: expected a boolean, got a string");
  CHECK(err("plugins: [{name: p, protocols: [http, smtp]}]\n") == "plugins[0].protocols[1]: unknown protocol 'smtp'");
  CHECK(err("plugins: [{name: p, timeout: 0}]\n") == "plugins[0].timeout: value should be between 1 and 2147483647");
  CHECK(err("plugins: [{name: p, fail_open: 1}]\n") == "plugins[0].fail_open: expected a boolean, got an integer");
  CHECK(err("plugins: [{name: p, service: nope}]\n") == "plugins[0].service: references unknown service 'nope'");
  CHECK(err("plugins: [{name: p, route: nope}]\n") == "plugins[0].route: references unknown route 'nope'");
  CHECK(err("plugins: [{name: p, consumer: nope}]\n") == "plugins[0].consumer: references unknown consumer 'nope'");
  CHECK(err("services: [{host: a.com, plugins: [{name: p, consumer: c}]}]\nconsumers: [{username: c}]\n") ==
        "services[0].plugins[0].consumer: not allowed on a plugin nested under a service (a plugin with two or "
        "more foreign keys must be declared in the top-level plugins list)");
  CHECK(err("plugins: [{name: p}, {name: p}]\n") ==
        "plugins[1]: duplicate plugin 'p' for the same route/service/consumer as plugins[0]");
  CHECK(err("services: [{name: s, host: a.com, plugins: [{name: p}]}]\nplugins: [{name: p, service: s}]\n") ==
        "plugins[0]: duplicate plugin 'p' for the same route/service/consumer as services[0].plugins[0]");
  CHECK(err("plugins: [{name: p, instance_name: i}, {name: q, instance_name: i}]\n") ==
        "plugins[1].instance_name: duplicate plugin instance_name 'i'");
}

TEST_CASE("gantry section validation") {
  CHECK(err("gantry: {listen: \"0.0.0.0:8000\"}\n") == "gantry.listen: expected an array, got a string");
  CHECK(err("gantry: {listen: []}\n") == "gantry.listen: must not be empty");
  CHECK(err("gantry: {listen: [\"0.0.0.0\"]}\n") ==
        "gantry.listen[0]: invalid address '0.0.0.0': missing port (expected host:port)");
  CHECK(err("gantry: {listen: [{host: 0.0.0.0}]}\n") == "gantry.listen[0].port: required field missing");
  CHECK(err("gantry: {workers: -1}\n") == "gantry.workers: value should be between 0 and 1024");
  CHECK(err("gantry: {limits: {max_header_bytes: 0}}\n") ==
        "gantry.limits.max_header_bytes: value should be between 1 and 9223372036854775807");
  CHECK(err("gantry: {limits: {keepalive_timeout: 0}}\n") ==
        "gantry.limits.keepalive_timeout: value should be between 1 and 2147483647");
  CHECK(err("gantry: {log: {access_log_format: xml}}\n") ==
        "gantry.log.access_log_format: expected one of: \"json\", \"text\"");
  CHECK(err("gantry: {log: {error_log_level: trace}}\n") ==
        "gantry.log.error_log_level: expected one of: \"debug\", \"info\", \"notice\", \"warn\", \"error\", \"crit\"");
  // status_listen is a listen address: port 0 (kernel-chosen) is valid there since 99c20ca.
  CHECK(err("gantry: {status_listen: \"x:65536\"}\n") ==
        "gantry.status_listen: invalid address 'x:65536': invalid port '65536' (expected 0-65535) (expected host:port)");
  CHECK(err("gantry: {latency_headers: 1}\n") == "gantry.latency_headers: expected a boolean, got an integer");
}

TEST_CASE("plugin server validation") {
  CHECK(err("plugin_servers: [{command: [x]}]\n") == "plugin_servers[0].name: required field missing");
  CHECK(err("plugin_servers: [{name: a, command: [x], address: \"unix:/s\"}]\n") ==
        "plugin_servers[0]: set exactly one of 'command' (gantry starts the server) or 'address' (the server runs "
        "on its own)");
  CHECK(err("plugin_servers: [{name: a, command: [x]}, {name: a, command: [y]}]\n") ==
        "plugin_servers[1].name: duplicate plugin server name 'a'");
  CHECK(err("plugin_servers: [{name: a, command: []}]\n") == "plugin_servers[0].command: must not be empty");
  CHECK(err("plugin_servers: [{name: a, command: \"./x\"}]\n") ==
        "plugin_servers[0].command: expected an array, got a string");
  CHECK(err("plugin_servers: [{name: a, address: \"localhost\"}]\n") ==
        "plugin_servers[0].address: invalid address 'localhost': missing port (expected \"unix:/path\" or "
        "\"host:port\")");
  CHECK(err("plugin_servers: [{name: a, command: [x], phase_timeout: 0}]\n") ==
        "plugin_servers[0].phase_timeout: value should be between 1 and 2147483647");
  CHECK(err("plugin_servers: [{name: a, command: [x], env: {A: [1]}}]\n") ==
        "plugin_servers[0].env.A: expected a string, got an array");
  CHECK(err("plugin_servers: [{name: a, command: [x], streams: -1}]\n") ==
        "plugin_servers[0].streams: value should be between 0 and 1024");
}

} // namespace
} // namespace gateway::config::test
