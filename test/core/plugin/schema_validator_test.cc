#include <catch2/catch.hpp>

#include "plugin/schema_validator.h"

using namespace gateway::plugin;
using json = nlohmann::json;

namespace {

const char* kSchema = R"({
  "name": "demo",
  "fields": [
    {"protocols": {"type": "set", "elements": {"type": "string"}}},
    {"config": {"type": "record", "fields": [
      {"message": {"type": "string", "required": true}},
      {"enabled": {"type": "boolean", "default": true}},
      {"count": {"type": "integer", "between": [1, 10]}},
      {"ratio": {"type": "number"}},
      {"mode": {"type": "string", "one_of": ["a", "b"], "default": "a"}},
      {"tags": {"type": "array", "elements": {"type": "string"}}},
      {"headers": {"type": "map", "keys": {"type": "string"}, "values": {"type": "integer"}}},
      {"nested": {"type": "record", "fields": [{"inner": {"type": "string", "len_min": 2}}]}}
    ]}}
  ]
})";

std::vector<SchemaError> validate(const json& config, json* out = nullptr) {
  auto schema = ConfigSchema::parse(kSchema);
  REQUIRE(schema.isOk());
  std::vector<SchemaError> errors;
  json normalized = schema->validate(config, "plugins[2].config", errors);
  if (out != nullptr) {
    *out = normalized;
  }
  return errors;
}

} // namespace

TEST_CASE("SchemaValidator.validConfigGetsDefaults", "[schema]") {
  json out;
  auto errors = validate({{"message", "hi"}, {"count", 3}, {"tags", {"x"}}}, &out);
  CHECK(errors.empty());
  CHECK(out["enabled"] == true);
  CHECK(out["mode"] == "a");
  CHECK(out["count"] == 3);
}

TEST_CASE("SchemaValidator.typeErrorsNameThePath", "[schema]") {
  auto errors = validate({{"message", 5},
                          {"enabled", "yes"},
                          {"count", 1.5},
                          {"ratio", "x"},
                          {"tags", {"ok", 3}},
                          {"headers", {{"a", "notint"}}},
                          {"nested", {{"inner", true}}}});
  std::vector<std::string> got;
  for (auto& e : errors) {
    got.push_back(e.toString());
  }
  CHECK_THAT(got, Catch::Matchers::VectorContains(
                      std::string("plugins[2].config.message: expected a string")));
  CHECK_THAT(got, Catch::Matchers::VectorContains(
                      std::string("plugins[2].config.enabled: expected a boolean")));
  CHECK_THAT(got, Catch::Matchers::VectorContains(
                      std::string("plugins[2].config.count: expected an integer")));
  CHECK_THAT(got, Catch::Matchers::VectorContains(
                      std::string("plugins[2].config.ratio: expected a number")));
  CHECK_THAT(got, Catch::Matchers::VectorContains(
                      std::string("plugins[2].config.tags[1]: expected a string")));
  CHECK_THAT(got, Catch::Matchers::VectorContains(
                      std::string("plugins[2].config.headers.a: expected an integer")));
  CHECK_THAT(got, Catch::Matchers::VectorContains(
                      std::string("plugins[2].config.nested.inner: expected a string")));
  CHECK(got.size() == 7);
}

TEST_CASE("SchemaValidator.unknownAndRequiredFields", "[schema]") {
  auto errors = validate({{"mesage", "typo"}, {"nested", {{"other", 1}}}});
  std::vector<std::string> got;
  for (auto& e : errors) {
    got.push_back(e.toString());
  }
  CHECK_THAT(got, Catch::Matchers::VectorContains(
                      std::string("plugins[2].config.message: required field missing")));
  CHECK_THAT(got, Catch::Matchers::VectorContains(
                      std::string("plugins[2].config.mesage: unknown field")));
  CHECK_THAT(got, Catch::Matchers::VectorContains(
                      std::string("plugins[2].config.nested.other: unknown field")));
}

TEST_CASE("SchemaValidator.constraintsAndNull", "[schema]") {
  CHECK(validate({{"message", "m"}, {"count", 11}}).size() == 1);
  CHECK(validate({{"message", "m"}, {"mode", "c"}}).at(0).message == "expected one of: a, b");
  CHECK(validate({{"message", "m"}, {"nested", {{"inner", "x"}}}}).size() == 1);
  CHECK(validate({{"message", nullptr}}).at(0).message == "required field missing");
  CHECK(validate({{"message", "m"}, {"count", 2.0}}).empty());
  CHECK(validate(json::array()).at(0).message == "expected a record");
}

TEST_CASE("SchemaValidator.parse", "[schema]") {
  CHECK_FALSE(ConfigSchema::parse("{not json").isOk());
  CHECK_FALSE(ConfigSchema::parse("{}").isOk());
  CHECK_FALSE(ConfigSchema::parse(R"({"fields":[{"config":{"type":"string"}}]})").isOk());
  auto empty = ConfigSchema::parse("");
  REQUIRE(empty.isOk());
  std::vector<SchemaError> errors;
  empty->validate(json::object(), "c", errors);
  CHECK(errors.empty());
  empty->validate({{"x", 1}}, "c", errors);
  CHECK(errors.size() == 1);
}
