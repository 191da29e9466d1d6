#include <catch2/catch.hpp>

#include "plugin/utf8.h"

using namespace gateway::plugin;

TEST_CASE("valid UTF-8 is recognised and kept", "[plugin][utf8]") {
  for (const char* s : {"", "plain ascii text longer than eight bytes", "caf\xC3\xA9",
                        "\xE2\x82\xAC 100", "\xF0\x9F\x98\x80", "\xED\x9F\xBF", "\xF4\x8F\xBF\xBF"}) {
    CHECK(isValidUtf8(s));
    CHECK(toValidUtf8(s) == s);
  }
}

TEST_CASE("invalid UTF-8 is detected and each stray byte becomes U+FFFD", "[plugin][utf8]") {
  const std::string fffd = "\xEF\xBF\xBD";
  struct Case {
    std::string in, out;
  };
  for (const auto& c : std::vector<Case>{
           {"caf\xE9", "caf" + fffd},                        // Latin-1
           {"\xC0\xAF", fffd + fffd},                        // overlong '/'
           {"\xE0\x80\xAF", fffd + fffd + fffd},             // overlong, 3 bytes
           {"\xED\xA0\x80", fffd + fffd + fffd},             // surrogate
           {"\xF4\x90\x80\x80", fffd + fffd + fffd + fffd},  // above U+10FFFF
           {"\xE2\x82", fffd + fffd},                        // truncated
           {"a\x80" "b", "a" + fffd + "b"},                  // stray continuation byte
           {"\xFF\xFE", fffd + fffd},
       }) {
    CHECK_FALSE(isValidUtf8(c.in));
    const std::string fixed = toValidUtf8(c.in);
    CHECK(fixed == c.out);
    CHECK(isValidUtf8(fixed));
  }
}

TEST_CASE("setUtf8 passes valid text through and repairs the rest", "[plugin][utf8]") {
  std::string got;
  setUtf8("ok", [&](std::string_view v) { got = std::string(v); });
  CHECK(got == "ok");
  setUtf8("x\xE9y", [&](std::string_view v) { got = std::string(v); });
  CHECK(got == "x\xEF\xBF\xBDy");
}
