#include <catch2/catch.hpp>

#include "router_test_util.h"

using gateway::config::Route;
using gateway::config::Service;
using gateway::http::HeaderMap;
using gateway::router::MatchInput;
using gateway::router::upstreamPath;

namespace {

// Routes a request through a one-route table and returns the upstream path.
std::string proxied(std::string servicePath, std::string routePath, bool strip,
                    std::string handling, std::string request) {
  gateway::router::test::RouteTable t;
  t.config().services[0].path = std::move(servicePath);
  Route& r = t.add("r");
  if (!routePath.empty()) {
    r.paths = {routePath};
  } else {
    r.methods = {"GET"};
  }
  r.stripPath = strip;
  r.pathHandling = std::move(handling);
  auto router = t.build();
  HeaderMap none;
  auto m = router->match(MatchInput{"GET", "", request, &none});
  REQUIRE(m);
  return upstreamPath(*m->service, *m->route, *m, request);
}

} // namespace

// Kong's documented path_handling table (Admin API, Route object), one test per row.
TEST_CASE("path table: /s /fv0 strip=false v0 /fv0req -> /s/fv0req", "[router][path]") {
  CHECK(proxied("/s", "/fv0", false, "v0", "/fv0req") == "/s/fv0req");
}
TEST_CASE("path table: /s /fv1 strip=false v1 /fv1req -> /sfv1req", "[router][path]") {
  CHECK(proxied("/s", "/fv1", false, "v1", "/fv1req") == "/sfv1req");
}
TEST_CASE("path table: /s /tv0 strip=true v0 /tv0req -> /s/req", "[router][path]") {
  CHECK(proxied("/s", "/tv0", true, "v0", "/tv0req") == "/s/req");
}
TEST_CASE("path table: /s /tv1 strip=true v1 /tv1req -> /sreq", "[router][path]") {
  CHECK(proxied("/s", "/tv1", true, "v1", "/tv1req") == "/sreq");
}
TEST_CASE("path table: /s /fv0/ strip=false v0 /fv0/req -> /s/fv0/req", "[router][path]") {
  CHECK(proxied("/s", "/fv0/", false, "v0", "/fv0/req") == "/s/fv0/req");
}
TEST_CASE("path table: /s /fv1/ strip=false v1 /fv1/req -> /sfv1/req", "[router][path]") {
  CHECK(proxied("/s", "/fv1/", false, "v1", "/fv1/req") == "/sfv1/req");
}
TEST_CASE("path table: /s /tv0/ strip=true v0 /tv0/req -> /s/req", "[router][path]") {
  CHECK(proxied("/s", "/tv0/", true, "v0", "/tv0/req") == "/s/req");
}
TEST_CASE("path table: /s /tv1/ strip=true v1 /tv1/req -> /sreq", "[router][path]") {
  CHECK(proxied("/s", "/tv1/", true, "v1", "/tv1/req") == "/sreq");
}

// The brief's examples and the v0 branches of Kong's get_upstream_uri.
TEST_CASE("v0 and v1 with a segment after the route path", "[router][path]") {
  CHECK(proxied("/s", "/r", true, "v0", "/r/x") == "/s/x");
  CHECK(proxied("/s", "/r", true, "v1", "/r/x") == "/s/x");
  CHECK(proxied("/s", "/r", false, "v0", "/r/x") == "/s/r/x");
  CHECK(proxied("/s", "/r", false, "v1", "/r/x") == "/sr/x");
}

TEST_CASE("v0 strip: request equal to the route path", "[router][path]") {
  CHECK(proxied("/s", "/r", true, "v0", "/r") == "/s");
  CHECK(proxied("/s/", "/r", true, "v0", "/r") == "/s");
  CHECK(proxied("/s/", "/r/", true, "v0", "/r/") == "/s/");
  CHECK(proxied("/s", "/r/", true, "v0", "/r/") == "/s/");
  CHECK(proxied("", "/r", true, "v0", "/r") == "/");
  CHECK(proxied("/", "/", true, "v0", "/") == "/");
}

TEST_CASE("v0 strip: service path with a trailing slash and no double slash", "[router][path]") {
  CHECK(proxied("/s/", "/r", true, "v0", "/r/x") == "/s/x");
  CHECK(proxied("/s/", "/r/", true, "v0", "/r/x") == "/s/x");
  CHECK(proxied("/", "/r", true, "v0", "/r/x/y") == "/x/y");
}

TEST_CASE("v0 no strip: root request and trailing-slash services", "[router][path]") {
  CHECK(proxied("/s", "/", false, "v0", "/") == "/s");
  CHECK(proxied("/s/", "/", false, "v0", "/") == "/s/");
  CHECK(proxied("/s/", "/r", false, "v0", "/r/x") == "/s/r/x");
  CHECK(proxied("", "/r", false, "v0", "/r/x") == "/r/x");
}

TEST_CASE("v1 strip drops one slash where base and postfix meet", "[router][path]") {
  CHECK(proxied("/s/", "/r", true, "v1", "/r/x") == "/s/x");
  CHECK(proxied("/s/", "/r/", true, "v1", "/r/x") == "/s/x");
  CHECK(proxied("/s", "/r", true, "v1", "/r") == "/s");
}

TEST_CASE("dot segments right after the stripped prefix are dropped", "[router][path]") {
  CHECK(proxied("/s", "/r/", true, "v0", "/r/../etc") == "/s/etc");
  CHECK(proxied("/s", "/r/", true, "v0", "/r/./x") == "/s/x");
  CHECK(proxied("/s", "/r/", true, "v0", "/r/..") == "/s");
}

TEST_CASE("strip_path with a regex path strips the whole regex match", "[router][path]") {
  CHECK(proxied("/s", R"(~/users/\d+)", true, "v0", "/users/42/orders") == "/s/orders");
  CHECK(proxied("/s", R"(~/users/\d+)", false, "v0", "/users/42/orders") == "/s/users/42/orders");
  CHECK(proxied("/s", R"(~/users/\d+)", true, "v0", "/users/42") == "/s");
}

TEST_CASE("routes without paths pass the whole request path", "[router][path]") {
  CHECK(proxied("/s", "", true, "v0", "/a/b") == "/s/a/b");
  CHECK(proxied("/s", "", false, "v0", "/a/b") == "/s/a/b");
  CHECK(proxied("/s", "", true, "v1", "/a/b") == "/sa/b");
  CHECK(proxied("", "", true, "v0", "/a/b") == "/a/b");
}
