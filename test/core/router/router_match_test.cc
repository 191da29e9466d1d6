#include <catch2/catch.hpp>

#include "router/router_impl.h"
#include "router_test_util.h"

using gateway::http::HeaderMap;
using gateway::router::MatchInput;
using gateway::router::RouteMatch;
using gateway::router::test::matchName;
using gateway::router::test::RouteTable;

TEST_CASE("methods match exactly against upper-cased route methods", "[router]") {
  RouteTable t;
  t.add("get").methods = {"get", "HEAD"};
  auto router = t.build();
  CHECK(matchName(*router, "GET", "a.com", "/x") == "get");
  CHECK(matchName(*router, "HEAD", "a.com", "/x") == "get");
  CHECK(matchName(*router, "POST", "a.com", "/x") == "404");
  CHECK(matchName(*router, "get", "a.com", "/x") == "404");  // Request methods are case-sensitive.
}

TEST_CASE("exact hosts compare case-insensitively and without ports", "[router]") {
  RouteTable t;
  t.add("a").hosts = {"API.Example.com"};
  t.add("b").hosts = {"b.com:8000"};
  auto router = t.build();
  CHECK(matchName(*router, "GET", "api.example.com", "/") == "a");
  CHECK(matchName(*router, "GET", "example.com", "/") == "404");
  CHECK(matchName(*router, "GET", "b.com", "/") == "b");
  CHECK(matchName(*router, "GET", "x.api.example.com", "/") == "404");
}

TEST_CASE("leading and trailing wildcard hosts", "[router]") {
  RouteTable t;
  t.add("lead").hosts = {"*.example.com"};
  t.add("trail").hosts = {"example.*"};
  auto router = t.build();
  CHECK(matchName(*router, "GET", "api.example.com", "/") == "lead");
  CHECK(matchName(*router, "GET", "a.b.example.com", "/") == "lead");
  CHECK(matchName(*router, "GET", "example.com", "/") == "trail");
  CHECK(matchName(*router, "GET", "example.co.uk", "/") == "trail");
  CHECK(matchName(*router, "GET", ".example.com", "/") == "404");  // Needs a label before.
  CHECK(matchName(*router, "GET", "example.", "/") == "404");
  CHECK(matchName(*router, "GET", "other.org", "/") == "404");

  HeaderMap none;
  auto m = router->match(MatchInput{"GET", "api.example.com", "/", &none});
  REQUIRE(m);
  CHECK(m->matchedHost == "*.example.com");
}

TEST_CASE("matchedHost prefers an exact host over a wildcard of the same route", "[router]") {
  RouteTable t;
  t.add("r").hosts = {"*.a.com", "x.a.com"};
  auto router = t.build();
  HeaderMap none;
  auto m = router->match(MatchInput{"GET", "x.a.com", "/", &none});
  REQUIRE(m);
  CHECK(m->matchedHost == "x.a.com");
  m = router->match(MatchInput{"GET", "y.a.com", "/", &none});
  REQUIRE(m);
  CHECK(m->matchedHost == "*.a.com");
}

TEST_CASE("prefix paths match on the raw path", "[router]") {
  RouteTable t;
  t.add("foo").paths = {"/foo"};
  auto router = t.build();
  CHECK(matchName(*router, "GET", "", "/foo") == "foo");
  CHECK(matchName(*router, "GET", "", "/foo/bar") == "foo");
  CHECK(matchName(*router, "GET", "", "/foobar") == "foo");  // Kong prefixes are not segment-aware.
  CHECK(matchName(*router, "GET", "", "/fo") == "404");
  CHECK(matchName(*router, "GET", "", "/%66oo") == "404");  // Raw, not decoded.

  HeaderMap none;
  auto m = router->match(MatchInput{"GET", "", "/foo/bar", &none});
  REQUIRE(m);
  CHECK(m->matchedPath == "/foo");
  CHECK(m->matchedPrefix == "/foo");
  CHECK(m->unnamedCaptures.empty());
  CHECK(m->service != nullptr);
  CHECK(m->service->id == "svc");
}

TEST_CASE("regex paths are anchored at the start and fill captures", "[router]") {
  RouteTable t;
  t.add("user").paths = {R"(~/users/(?<id>\d+)/(\w+))"};
  auto router = t.build();
  CHECK(matchName(*router, "GET", "", "/v1/users/12/profile") == "404");  // Anchored at start.

  HeaderMap none;
  auto m = router->match(MatchInput{"GET", "", "/users/12/profile/more", &none});
  REQUIRE(m);
  CHECK(m->matchedPath == R"(~/users/(?<id>\d+)/(\w+))");
  CHECK(m->matchedPrefix == "/users/12/profile");
  REQUIRE(m->unnamedCaptures.size() == 3);
  CHECK(m->unnamedCaptures[0] == "/users/12/profile");
  CHECK(m->unnamedCaptures[1] == "12");
  CHECK(m->unnamedCaptures[2] == "profile");
  REQUIRE(m->namedCaptures.size() == 1);
  CHECK(m->namedCaptures[0].first == "id");
  CHECK(m->namedCaptures[0].second == "12");
}

TEST_CASE("regex paths: end anchor, python-style names, optional groups", "[router]") {
  RouteTable t;
  t.add("exact").paths = {R"(~/status$)"};
  t.add("opt").paths = {R"(~/items/(?P<item>\d+)(/(?<sub>[a-z]+))?)"};
  auto router = t.build();
  CHECK(matchName(*router, "GET", "", "/status") == "exact");
  CHECK(matchName(*router, "GET", "", "/status/x") == "404");

  HeaderMap none;
  auto m = router->match(MatchInput{"GET", "", "/items/7", &none});
  REQUIRE(m);
  REQUIRE(m->unnamedCaptures.size() == 4);
  CHECK(m->unnamedCaptures[1] == "7");
  CHECK(m->unnamedCaptures[3].empty());
  REQUIRE(m->namedCaptures.size() == 2);
  CHECK(m->namedCaptures[0] == std::pair<std::string, std::string>{"item", "7"});
  CHECK(m->namedCaptures[1] == std::pair<std::string, std::string>{"sub", ""});
}

TEST_CASE("headers: one listed value per header, case-insensitive, ~* regex", "[router]") {
  RouteTable t;
  auto& r = t.add("v2");
  r.headers["x-version"] = {"v2", "V3"};
  r.headers["x-region"] = {"~*^eu-"};
  auto router = t.build();

  HeaderMap h;
  h.add("X-Version", "V2");
  h.add("X-Region", "EU-west");
  CHECK(matchName(*router, "GET", "", "/", &h) == "v2");

  HeaderMap wrongValue;
  wrongValue.add("x-version", "v4");
  wrongValue.add("x-region", "eu-west");
  CHECK(matchName(*router, "GET", "", "/", &wrongValue) == "404");

  HeaderMap missing;
  missing.add("x-version", "v3");
  CHECK(matchName(*router, "GET", "", "/", &missing) == "404");

  HeaderMap repeated;  // Any field of the name may carry the value.
  repeated.add("x-version", "v9");
  repeated.add("x-version", "v3");
  repeated.add("x-region", "us-1");
  repeated.add("x-region", "eu-2");
  CHECK(matchName(*router, "GET", "", "/", &repeated) == "v2");

  CHECK(matchName(*router, "GET", "", "/", nullptr) == "404");
}

TEST_CASE("every criterion of a route must match", "[router]") {
  RouteTable t;
  auto& r = t.add("all");
  r.methods = {"POST"};
  r.hosts = {"a.com"};
  r.paths = {"/p"};
  r.headers["x-k"] = {"v"};
  auto router = t.build();
  HeaderMap h;
  h.add("x-k", "v");
  CHECK(matchName(*router, "POST", "a.com", "/p/q", &h) == "all");
  CHECK(matchName(*router, "GET", "a.com", "/p/q", &h) == "404");
  CHECK(matchName(*router, "POST", "b.com", "/p/q", &h) == "404");
  CHECK(matchName(*router, "POST", "a.com", "/q", &h) == "404");
  CHECK(matchName(*router, "POST", "a.com", "/p/q") == "404");
}

TEST_CASE("no routes, or no matching route, is a 404", "[router]") {
  RouteTable empty;
  CHECK(matchName(*empty.build(), "GET", "a.com", "/") == "404");
  RouteTable t;
  t.add("r").paths = {"/only"};
  CHECK(matchName(*t.build(), "GET", "a.com", "/other") == "404");
}

TEST_CASE("routes that can never match are left out", "[router]") {
  RouteTable t;
  t.add("nothing");                        // No criteria: Kong rejects such routes.
  t.add("badregex").paths = {"~/(?<=x)"};  // Lookbehind: not ECMAScript.
  auto& disabled = t.add("disabled");
  disabled.paths = {"/"};
  disabled.serviceId = "off";
  gateway::config::Service off;
  off.id = "off";
  off.enabled = false;
  t.config().services.push_back(off);
  auto& noService = t.add("noservice");
  noService.paths = {"/ns"};
  noService.serviceId.clear();
  auto router = t.build();
  CHECK(matchName(*router, "GET", "", "/x") == "404");

  HeaderMap none;
  auto m = router->match(MatchInput{"GET", "", "/ns", &none});
  REQUIRE(m);
  CHECK(m->service == nullptr);  // The proxy answers 503.
}

TEST_CASE("validateRoutePath", "[router]") {
  using gateway::router::validateRoutePath;
  CHECK(validateRoutePath("/ok").isOk());
  CHECK(validateRoutePath(R"(~/u/(?<id>\d+)$)").isOk());
  CHECK_FALSE(validateRoutePath("nope").isOk());
  CHECK_FALSE(validateRoutePath("~/(unclosed").isOk());
  CHECK_FALSE(validateRoutePath("~/(?<=x)y").isOk());
  CHECK_FALSE(validateRoutePath("~/(?<>x)").isOk());
}

TEST_CASE("exact-host index keeps priority order across host and hostless routes", "[router]") {
  RouteTable t;
  t.add("long-hostless").paths = {"/aaaa"};
  auto& hosted = t.add("hosted");
  hosted.hosts = {"h.com"};
  hosted.paths = {"/a"};
  t.add("short-hostless").paths = {"/"};
  auto router = t.build();
  // hosted has more criteria kinds, so it wins on h.com even against the longer hostless prefix.
  CHECK(matchName(*router, "GET", "h.com", "/aaaa") == "hosted");
  CHECK(matchName(*router, "GET", "h.com", "/b") == "short-hostless");
  CHECK(matchName(*router, "GET", "other.com", "/aaaa") == "long-hostless");
}
