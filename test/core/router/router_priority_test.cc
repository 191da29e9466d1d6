#include <catch2/catch.hpp>

#include "router_test_util.h"

using gateway::http::HeaderMap;
using gateway::router::test::matchName;
using gateway::router::test::RouteTable;

TEST_CASE("longer prefix wins", "[router][priority]") {
  RouteTable t;
  t.add("short").paths = {"/api"};
  t.add("long").paths = {"/api/v1"};
  auto router = t.build();
  CHECK(matchName(*router, "GET", "", "/api/v1/x") == "long");
  CHECK(matchName(*router, "GET", "", "/api/v2") == "short");
}

TEST_CASE("each path of a route competes with its own length", "[router][priority]") {
  RouteTable t;
  t.add("multi").paths = {"/a", "/zzzzzzzzzz"};
  t.add("mid").paths = {"/a/b"};
  auto router = t.build();
  CHECK(matchName(*router, "GET", "", "/a/b/c") == "mid");
  CHECK(matchName(*router, "GET", "", "/a/c") == "multi");
}

TEST_CASE("regex paths are tried before prefix paths, by regex_priority", "[router][priority]") {
  RouteTable t;
  t.add("prefix").paths = {"/users/123"};
  t.add("regex-low").paths = {R"(~/users/\d+)"};
  auto& high = t.add("regex-high");
  high.paths = {R"(~/users/1)"};
  high.regexPriority = 5;
  auto router = t.build();
  CHECK(matchName(*router, "GET", "", "/users/123") == "regex-high");
  CHECK(matchName(*router, "GET", "", "/users/223") == "regex-low");
  CHECK(matchName(*router, "GET", "", "/users/abc") == "404");
}

TEST_CASE("regex_priority does not reorder plain paths", "[router][priority]") {
  RouteTable t;
  auto& root = t.add("root");
  root.paths = {"/"};
  root.regexPriority = 10;
  t.add("v1").paths = {"/v1"};
  auto router = t.build();
  CHECK(matchName(*router, "GET", "", "/v1/x") == "v1");
}

TEST_CASE("more criteria kinds win over a longer path", "[router][priority]") {
  RouteTable t;
  t.add("path-only").paths = {"/api/v1/long"};
  auto& methodAndPath = t.add("method-and-path");
  methodAndPath.methods = {"GET"};
  methodAndPath.paths = {"/"};
  auto router = t.build();
  CHECK(matchName(*router, "GET", "", "/api/v1/long") == "method-and-path");
  CHECK(matchName(*router, "POST", "", "/api/v1/long") == "path-only");
}

TEST_CASE("more headers win at equal criteria kinds", "[router][priority]") {
  RouteTable t;
  auto& one = t.add("one");
  one.headers["a"] = {"1"};
  auto& two = t.add("two");
  two.headers["a"] = {"1"};
  two.headers["b"] = {"2"};
  auto router = t.build();
  HeaderMap h;
  h.add("a", "1");
  h.add("b", "2");
  CHECK(matchName(*router, "GET", "", "/", &h) == "two");
  HeaderMap onlyA;
  onlyA.add("a", "1");
  CHECK(matchName(*router, "GET", "", "/", &onlyA) == "one");
}

TEST_CASE("plain hosts win over wildcard hosts", "[router][priority]") {
  RouteTable t;
  t.add("wild").hosts = {"*.example.com"};
  t.add("exact").hosts = {"api.example.com"};
  auto router = t.build();
  CHECK(matchName(*router, "GET", "api.example.com", "/") == "exact");
  CHECK(matchName(*router, "GET", "www.example.com", "/") == "wild");
}

TEST_CASE("plain-host routes win even with a shorter path", "[router][priority]") {
  RouteTable t;
  auto& wild = t.add("wild");
  wild.hosts = {"*.example.com"};
  wild.paths = {"/long/path"};
  auto& exact = t.add("exact");
  exact.hosts = {"api.example.com"};
  exact.paths = {"/"};
  auto router = t.build();
  CHECK(matchName(*router, "GET", "api.example.com", "/long/path") == "exact");
}

TEST_CASE("creation order breaks ties", "[router][priority]") {
  RouteTable t;
  t.add("first").paths = {"/same"};
  t.add("second").paths = {"/same"};
  auto router = t.build();
  CHECK(matchName(*router, "GET", "", "/same") == "first");

  // Route.order rules, not the position in the vector.
  RouteTable u;
  auto& late = u.add("late");
  late.paths = {"/same"};
  late.order = 10;
  auto& early = u.add("early");
  early.paths = {"/same"};
  early.order = 1;
  CHECK(matchName(*u.build(), "GET", "", "/same") == "early");
}

TEST_CASE("equal regex priority: creation order", "[router][priority]") {
  RouteTable t;
  t.add("a").paths = {R"(~/x/\d+)"};
  t.add("b").paths = {R"(~/x/1)"};
  CHECK(matchName(*t.build(), "GET", "", "/x/1") == "a");
}

TEST_CASE("at equal weight and no path: hosts outrank methods", "[router][priority]") {
  RouteTable t;
  t.add("method").methods = {"GET"};
  t.add("host").hosts = {"*.a.com"};
  auto router = t.build();
  CHECK(matchName(*router, "GET", "w.a.com", "/") == "host");
  CHECK(matchName(*router, "GET", "b.com", "/") == "method");
}

TEST_CASE("at equal weight: a prefix length outranks the category tie-break", "[router][priority]") {
  RouteTable t;
  t.add("host").hosts = {"*.a.com"};
  t.add("path").paths = {"/"};
  CHECK(matchName(*t.build(), "GET", "w.a.com", "/") == "path");
}

TEST_CASE("at equal weight: a header route outranks a wildcard-host route", "[router][priority]") {
  // Kong 3.x: the header count is compared before the (traditional) category tie-break.
  RouteTable t;
  t.add("host").hosts = {"*.a.com"};
  t.add("header").headers["x"] = {"1"};
  auto router = t.build();
  HeaderMap h;
  h.add("x", "1");
  CHECK(matchName(*router, "GET", "w.a.com", "/", &h) == "header");
  CHECK(matchName(*router, "GET", "w.a.com", "/") == "host");
}
