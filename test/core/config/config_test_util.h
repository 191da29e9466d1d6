#pragma once

// Helpers for the config loader tests: load text and look at the result.

#include <string>
#include <vector>

#include "gateway/config/loader.h"

namespace gateway::config::test {

// Loads YAML/JSON text; the Config must load without errors (the errors are printed otherwise).
inline ConfigSharedPtr mustLoad(const std::string& text) {
  LoadResult r = loadString(text, "test.yaml");
  std::string all;
  for (const auto& e : r.errors) all += e.toString() + "\n";
  INFO(all);
  REQUIRE(r.errors.empty());
  REQUIRE(r.config);
  return r.config;
}

// Loads text that must fail and returns its errors as "path: message" strings, in order.
inline std::vector<std::string> errorsOf(const std::string& text) {
  LoadResult r = loadString(text, "test.yaml");
  REQUIRE_FALSE(r.config);
  std::vector<std::string> out;
  for (const auto& e : r.errors) out.push_back(e.toString());
  REQUIRE_FALSE(out.empty());
  return out;
}

// The single error of a file that must fail with exactly one error.
inline std::string errorOf(const std::string& text) {
  auto errors = errorsOf(text);
  std::string all;
  for (const auto& e : errors) all += e + "\n";
  INFO(all);
  REQUIRE(errors.size() == 1);
  return errors[0];
}

} // namespace gateway::config::test
