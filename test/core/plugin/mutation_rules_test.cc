#include <catch2/catch.hpp>

#include "plugin/mutation_rules.h"

using namespace gateway::plugin;
namespace v1 = gateway::plugin::v1;

namespace {
v1::HeaderMutation hm(v1::HeaderAction a, std::string name, std::string value = "v") {
  v1::HeaderMutation m;
  m.set_action(a);
  m.set_name(std::move(name));
  m.set_value(std::move(value));
  return m;
}
} // namespace

TEST_CASE("MutationRules.headerNames", "[mutation_rules]") {
  CHECK(rules::checkHeaderName("X-Ok_1.~!#$%&'*+^`|"));
  CHECK_FALSE(rules::checkHeaderName(""));
  CHECK_FALSE(rules::checkHeaderName("X-Bad\r\nInjected: 1"));
  CHECK_FALSE(rules::checkHeaderName(std::string("X\0Y", 3)));
  CHECK_FALSE(rules::checkHeaderName("X Bad"));
  CHECK_FALSE(rules::checkHeaderName("X:Bad"));
  CHECK_FALSE(rules::checkHeaderName("X(Bad)"));
  CHECK_FALSE(rules::checkHeaderName("\xc3\xa9t\xc3\xa9"));
}

TEST_CASE("MutationRules.headerValues", "[mutation_rules]") {
  CHECK(rules::checkHeaderValue(""));
  CHECK(rules::checkHeaderValue("a b\tc ,;=\"\x80\xff"));
  CHECK_FALSE(rules::checkHeaderValue("a\rb"));
  CHECK_FALSE(rules::checkHeaderValue("a\nb"));
  CHECK_FALSE(rules::checkHeaderValue(std::string("a\0b", 3)));
  CHECK_FALSE(rules::checkHeaderValue("a\x01" "b"));
  CHECK_FALSE(rules::checkHeaderValue("a\x7f"));
}

TEST_CASE("MutationRules.hopByHopAndContentLength", "[mutation_rules]") {
  for (const char* h : {"Connection", "keep-alive", "TRANSFER-ENCODING", "te", "Trailer",
                        "Upgrade", "Proxy-Connection", "Content-Length"}) {
    INFO(h);
    CHECK_FALSE(rules::checkHeaderMutation(hm(v1::HEADER_ACTION_SET, h)));
    CHECK_FALSE(rules::checkHeaderMutation(hm(v1::HEADER_ACTION_ADD, h)));
    CHECK_FALSE(rules::checkHeaderMutation(hm(v1::HEADER_ACTION_CLEAR, h)));
  }
  CHECK(rules::isHopByHopHeader("Keep-Alive"));
  CHECK_FALSE(rules::isHopByHopHeader("Keep-Alive2"));
  CHECK(rules::checkHeaderMutation(hm(v1::HEADER_ACTION_SET, "Host", "example.com")));
  // CLEAR checks the name only; its value is ignored.
  CHECK(rules::checkHeaderMutation(hm(v1::HEADER_ACTION_CLEAR, "X-Gone", "\r\nignored")));
}

TEST_CASE("MutationRules.headerActions", "[mutation_rules]") {
  CHECK_FALSE(rules::checkHeaderMutation(hm(v1::HEADER_ACTION_UNSPECIFIED, "X-A")));
  CHECK(rules::checkHeaderMutation(hm(v1::HEADER_ACTION_ADD, "X-A", "1")));
  CHECK_FALSE(rules::checkHeaderMutation(hm(v1::HEADER_ACTION_SET, "X-A", "1\r\nX-B: 2")));
}

TEST_CASE("MutationRules.statuses", "[mutation_rules]") {
  CHECK(rules::checkExitStatus(100));
  CHECK(rules::checkExitStatus(599));
  CHECK_FALSE(rules::checkExitStatus(99));
  CHECK_FALSE(rules::checkExitStatus(600));
  CHECK_FALSE(rules::checkExitStatus(0));
  CHECK_FALSE(rules::checkExitStatus(-200));
  CHECK(rules::checkResponseStatus(200));
  CHECK(rules::checkResponseStatus(599));
  CHECK_FALSE(rules::checkResponseStatus(199));
  CHECK_FALSE(rules::checkResponseStatus(101));
  CHECK_FALSE(rules::checkResponseStatus(600));
}

TEST_CASE("MutationRules.pathsQueriesMethodsSchemes", "[mutation_rules]") {
  CHECK(rules::checkPath("/"));
  CHECK(rules::checkPath("/a/b%20c?"));
  CHECK_FALSE(rules::checkPath(""));
  CHECK_FALSE(rules::checkPath("a/b"));
  CHECK_FALSE(rules::checkPath("http://x/"));
  CHECK_FALSE(rules::checkPath("/a b"));
  CHECK_FALSE(rules::checkPath("/a\r\nHost: evil"));
  CHECK_FALSE(rules::checkPath(std::string("/a\0", 3)));
  CHECK(rules::checkRawQuery("a=1&b=%20"));
  CHECK(rules::checkRawQuery(""));
  CHECK_FALSE(rules::checkRawQuery("a=1 2"));
  CHECK_FALSE(rules::checkRawQuery("a=1#frag"));
  CHECK_FALSE(rules::checkRawQuery("a=\n"));
  CHECK(rules::checkMethod("PATCH"));
  CHECK(rules::checkMethod("M-SEARCH"));
  CHECK_FALSE(rules::checkMethod(""));
  CHECK_FALSE(rules::checkMethod("GET /"));
  CHECK_FALSE(rules::checkMethod("G\rT"));
  CHECK(rules::checkScheme("http"));
  CHECK_FALSE(rules::checkScheme("ftp"));
  CHECK_FALSE(rules::checkScheme(""));
}

TEST_CASE("MutationRules.targetsBodiesShared", "[mutation_rules]") {
  v1::Target t;
  t.set_host("10.0.0.1");
  t.set_port(8080);
  CHECK(rules::checkTarget(t));
  t.set_port(0);
  CHECK_FALSE(rules::checkTarget(t));
  t.set_port(70000);
  CHECK_FALSE(rules::checkTarget(t));
  t.set_port(80);
  t.set_host("");
  CHECK_FALSE(rules::checkTarget(t));
  t.set_host("a b");
  CHECK_FALSE(rules::checkTarget(t));
  t.set_host("a/b");
  CHECK_FALSE(rules::checkTarget(t));

  MutationLimits limits;
  limits.maxBodyBytes = 10;
  CHECK(rules::checkBodySize(10, limits));
  CHECK_FALSE(rules::checkBodySize(11, limits));
  CHECK(rules::checkBodySize(8 * 1024 * 1024, MutationLimits{}));
  CHECK_FALSE(rules::checkBodySize(8 * 1024 * 1024 + 1, MutationLimits{}));

  CHECK_FALSE(rules::checkSharedKey(""));
  CHECK(rules::checkSharedKey("k"));
  CHECK(rules::checkJsonValue(""));
  CHECK(rules::checkJsonValue("{\"a\":[1,2]}"));
  CHECK(rules::checkJsonValue("\"s\""));
  CHECK_FALSE(rules::checkJsonValue("{nope"));
}

TEST_CASE("MutationRules.allowedInPhase", "[mutation_rules]") {
  using M = v1::Mutation;
  const auto ok = [](M::OpCase op, Phase p) { return rules::allowedInPhase(op, p).isOk(); };
  for (auto op : {M::kRequestHeader, M::kRequestPath, M::kRequestRawQuery, M::kRequestMethod,
                  M::kRequestScheme, M::kRequestBody, M::kTarget, M::kUpstream,
                  M::kAuthenticate}) {
    INFO(rules::opName(op));
    CHECK(ok(op, Phase::Rewrite));
    CHECK(ok(op, Phase::Access));
    CHECK_FALSE(ok(op, Phase::Response));
    CHECK_FALSE(ok(op, Phase::HeaderFilter));
    CHECK_FALSE(ok(op, Phase::Log));
  }
  // kong.response.set_header works in rewrite/access too (applied to the response later).
  for (auto p : {Phase::Rewrite, Phase::Access, Phase::Response, Phase::HeaderFilter}) {
    CHECK(ok(M::kResponseHeader, p));
  }
  CHECK_FALSE(ok(M::kResponseHeader, Phase::Log));
  CHECK_FALSE(ok(M::kResponseStatus, Phase::Rewrite));
  CHECK_FALSE(ok(M::kResponseStatus, Phase::Access));
  CHECK(ok(M::kResponseStatus, Phase::Response));
  CHECK(ok(M::kResponseStatus, Phase::HeaderFilter));
  CHECK_FALSE(ok(M::kResponseStatus, Phase::Log));
  CHECK(ok(M::kResponseBody, Phase::Response));
  CHECK_FALSE(ok(M::kResponseBody, Phase::HeaderFilter));
  CHECK(ok(M::kExit, Phase::Access));
  CHECK(ok(M::kExit, Phase::Rewrite));
  CHECK(ok(M::kExit, Phase::Response));
  CHECK(ok(M::kExit, Phase::HeaderFilter));
  CHECK_FALSE(ok(M::kExit, Phase::Log));
  CHECK(ok(M::kShared, Phase::Access));
  CHECK_FALSE(ok(M::kShared, Phase::Log));
  for (auto p : {Phase::Rewrite, Phase::Access, Phase::Response, Phase::HeaderFilter, Phase::Log}) {
    CHECK(ok(M::kLog, p));
    CHECK_FALSE(ok(M::OP_NOT_SET, p));
  }
}
