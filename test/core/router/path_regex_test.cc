#include <catch2/catch.hpp>

#include "router/path_regex.h"

using gateway::router::compilePathRegex;
using gateway::router::rewriteNamedGroups;

namespace {
std::string rewrite(std::string_view pattern, std::vector<std::string>& names) {
  auto out = rewriteNamedGroups(pattern, names);
  REQUIRE(out.isOk());
  return out.value();
}
} // namespace

TEST_CASE("named groups become plain groups with remembered names", "[router][regex]") {
  std::vector<std::string> names;
  CHECK(rewrite(R"(/u/(?<id>\d+)/(x)/(?P<tail>.*))", names) == R"(/u/(\d+)/(x)/(.*))");
  CHECK(names == std::vector<std::string>{"id", "", "tail"});
}

TEST_CASE("non-capturing groups, lookaheads, escapes and classes are not groups", "[router][regex]") {
  std::vector<std::string> names;
  CHECK(rewrite(R"(/(?:a|b)(?=c)\(x\)[(](?<n>y))", names) == R"(/(?:a|b)(?=c)\(x\)[(](y))");
  CHECK(names == std::vector<std::string>{"n"});
}

TEST_CASE("a leading close-bracket in a class stays literal", "[router][regex]") {
  std::vector<std::string> names;
  CHECK(rewrite(R"([]a](b))", names) == R"([\]a](b))");
  CHECK(names.size() == 1);
  auto compiled = compilePathRegex(R"([]a]+)");
  REQUIRE(compiled.isOk());
  CHECK(std::regex_match("]a]", compiled.value().regex));
}

TEST_CASE("named back-references become numbered", "[router][regex]") {
  std::vector<std::string> names;
  CHECK(rewrite(R"((?<w>a+)-\k<w>)", names) == R"((a+)-\1)");
  CHECK_FALSE(rewriteNamedGroups(R"(\k<nope>)", names).isOk());
}

TEST_CASE("compile errors are statuses, not exceptions", "[router][regex]") {
  CHECK_FALSE(compilePathRegex("(").isOk());
  CHECK_FALSE(compilePathRegex("(?<=a)b").isOk());
  CHECK_FALSE(compilePathRegex("(?<bad-name>x)").isOk());
  auto ok = compilePathRegex(R"(/a/(?<x>\d+))");
  REQUIRE(ok.isOk());
  CHECK(ok.value().regex.mark_count() == 1);
}
