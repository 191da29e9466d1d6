#include <catch2/catch.hpp>

#include "gantry_pdk/schema.h"

using gantry_pdk::Field;
using gantry_pdk::Schema;
using json = nlohmann::json;

namespace {

Schema sample() {
  return {Field::string("message").required().defaultValue("hello"),
          Field::integer("burst").between(1, 100),
          Field::number("rate").required(),
          Field::string("mode").oneOf({"local", "cluster"}),
          Field::boolean("enabled").defaultValue(true),
          Field::array("tags", Field::string()),
          Field::map("labels", Field::string(), Field::integer()),
          Field::record("limits", {Field::integer("second").required(), Field::integer("minute")})};
}

std::string errorOf(const Schema& schema, const json& config) {
  std::string error;
  auto out = schema.validate(config, error);
  return out ? std::string("<ok>") : error;
}

}  // namespace

TEST_CASE("Schema: valid config gets defaults filled in", "[schema]") {
  std::string error;
  auto out = sample().validate(json{{"rate", 2.5}, {"burst", 10}}, error);
  REQUIRE(out);
  CHECK((*out)["message"] == "hello");
  CHECK((*out)["enabled"] == true);
  CHECK((*out)["rate"] == 2.5);
  CHECK_FALSE(out->contains("limits"));
}

TEST_CASE("Schema: errors name the field", "[schema]") {
  const Schema s = sample();
  CHECK(errorOf(s, json{{"rate", 1}, {"message", 5}}) == "message: expected a string");
  CHECK(errorOf(s, json::object()) == "rate: required field missing");
  CHECK(errorOf(s, json{{"rate", "x"}}) == "rate: expected a number");
  CHECK(errorOf(s, json{{"rate", 1}, {"burst", 1.5}}) == "burst: expected an integer");
  CHECK(errorOf(s, json{{"rate", 1}, {"burst", 5.0}}) == "<ok>");
  CHECK(errorOf(s, json{{"rate", 1}, {"burst", 0}}) == "burst: value should be between 1 and 100");
  CHECK(errorOf(s, json{{"rate", 1}, {"mode", "x"}}) == "mode: expected one of: local, cluster");
  CHECK(errorOf(s, json{{"rate", 1}, {"enabled", "yes"}}) == "enabled: expected a boolean");
  CHECK(errorOf(s, json{{"rate", 1}, {"tags", {"a", 2}}}) == "tags[1]: expected a string");
  CHECK(errorOf(s, json{{"rate", 1}, {"tags", "a"}}) == "tags: expected an array");
  CHECK(errorOf(s, json{{"rate", 1}, {"labels", {{"a", "b"}}}}) == "labels.a: expected an integer");
  CHECK(errorOf(s, json{{"rate", 1}, {"limits", json::object()}}) ==
        "limits.second: required field missing");
  CHECK(errorOf(s, json{{"rate", 1}, {"limits", {{"second", 1}, {"hour", 2}}}}) ==
        "limits.hour: unknown field");
  CHECK(errorOf(s, json{{"rate", 1}, {"nope", 1}}) == "nope: unknown field");
  CHECK(errorOf(s, json{{"rate", nullptr}}) == "rate: required field missing");
  CHECK(errorOf(s, json::array()) == "config: expected a record");
}

TEST_CASE("Schema: Kong schema JSON", "[schema]") {
  const json kong = sample().toKongJson("demo");
  CHECK(kong["name"] == "demo");
  const json& config = kong["fields"][0]["config"];
  CHECK(config["type"] == "record");
  const json& fields = config["fields"];
  REQUIRE(fields.size() == 8);
  CHECK(fields[0] == json{{"message", {{"type", "string"}, {"required", true}, {"default", "hello"}}}});
  CHECK(fields[1] == json{{"burst", {{"type", "integer"}, {"between", {1, 100}}}}});
  CHECK(fields[3]["mode"]["one_of"] == json{"local", "cluster"});
  CHECK(fields[5]["tags"] == json{{"type", "array"}, {"elements", {{"type", "string"}}}});
  CHECK(fields[6]["labels"] ==
        json{{"type", "map"}, {"keys", {{"type", "string"}}}, {"values", {{"type", "integer"}}}});
  CHECK(fields[7]["limits"]["fields"][0] ==
        json{{"second", {{"type", "integer"}, {"required", true}}}});
}
