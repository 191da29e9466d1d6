// The dispatcher (runPhase) and instance table: order, visibility, exit, errors, phases.
#include <catch2/catch.hpp>

#include <atomic>

#include "instances.h"

using namespace gantry_pdk;

namespace {

struct NoFetch : detail::Fetcher {
  FetchAnswer fetch(FetchRequest) override { return fetch::NotFound{}; }
  bool cancelled() const override { return false; }
};

class Setter : public Plugin {
public:
  explicit Setter(const nlohmann::json& c) : name_(c.value("name", "x")) {}
  void access(Pdk& kong) override {
    std::string seen(kong.request.header("x-chain").value_or(""));
    kong.serviceRequest.setHeader("x-chain", seen + name_);
  }

private:
  std::string name_;
};

class Exiter : public Plugin {
public:
  void access(Pdk& kong) override { kong.response.exit(401, "go away"); }
};

class Thrower : public Plugin {
public:
  void access(Pdk& kong) override {
    kong.log.err("about to fail");
    kong.response.setHeader("x-dropped", "1");
    throw std::runtime_error("boom");
  }
};

class AllPhases : public Plugin {
public:
  void rewrite(Pdk&) override {}
  void log(Pdk&) override {}
};

class RejectsConfig : public Plugin {
public:
  static Schema schema() { return {Field::string("message").required()}; }
  explicit RejectsConfig(const nlohmann::json& c) {
    if (c.at("message") == "bad") throw std::invalid_argument("message: must not be bad");
  }
};

std::vector<PluginDescriptor> plugins() {
  return {describePlugin<Setter>("setter", "1", 10), describePlugin<Exiter>("exiter", "1", 5),
          describePlugin<Thrower>("thrower", "1", 1), describePlugin<AllPhases>("all", "1", 0),
          describePlugin<RejectsConfig>("strict", "1", 0)};
}

std::unique_ptr<detail::InstanceTable> table() {
  auto t = std::make_unique<detail::InstanceTable>(plugins());
  auto r = t->configure({{1, "setter", R"({"name":"a"})"},
                        {2, "setter", R"({"name":"b"})"},
                        {3, "exiter", ""},
                        {4, "thrower", "{}"}},
                       {});
  for (const auto& o : r) REQUIRE(o.ok);
  return t;
}

PhaseInput accessInput() {
  PhaseInput in;
  in.phase = Phase::Access;
  return in;
}

}  // namespace

TEST_CASE("Dispatch: phases are detected from overrides", "[dispatch]") {
  auto d = describePlugin<AllPhases>("all", "1", 0);
  CHECK(d.phases == std::vector<Phase>{Phase::Rewrite, Phase::Log});
  CHECK(describePlugin<Setter>("s", "1", 0).phases == std::vector<Phase>{Phase::Access});
  CHECK(describePlugin<Setter>("s", "1", 0).schemaJson().empty());
  CHECK_FALSE(describePlugin<RejectsConfig>("s", "1", 0).schemaJson().empty());
}

TEST_CASE("Dispatch: instances run in order and see earlier mutations", "[dispatch]") {
  auto t = table();
  NoFetch f;
  PhaseOutput out = detail::runPhase(*t, {1, 2}, accessInput(), f);
  CHECK(out.completed == 2);
  CHECK_FALSE(out.error);
  REQUIRE(out.mutations.size() == 2);
  CHECK(out.mutations[0].instanceId == 1);
  CHECK(out.mutations[1].instanceId == 2);
  CHECK(std::get<mutation::RequestHeader>(out.mutations[1].op).value == "ab");
}

TEST_CASE("Dispatch: exit stops the chain after the exiting plugin", "[dispatch]") {
  auto t = table();
  NoFetch f;
  PhaseOutput out = detail::runPhase(*t, {1, 3, 2}, accessInput(), f);
  CHECK(out.completed == 2);
  CHECK_FALSE(out.error);
  REQUIRE(out.mutations.size() == 2);
  CHECK(std::get<mutation::Exit>(out.mutations[1].op).status == 401);
}

TEST_CASE("Dispatch: an exception becomes KIND_HANDLER and keeps only its log lines",
          "[dispatch]") {
  auto t = table();
  NoFetch f;
  PhaseOutput out = detail::runPhase(*t, {1, 4, 2}, accessInput(), f);
  CHECK(out.completed == 1);
  REQUIRE(out.error);
  CHECK(out.error->kind == PhaseError::Kind::Handler);
  CHECK(out.error->instanceId == 4);
  CHECK(out.error->message == "thrower access: boom");
  REQUIRE(out.mutations.size() == 2);
  CHECK(std::get<mutation::Log>(out.mutations[1].op).message == "about to fail");
  // The table is intact: the next call works.
  CHECK(detail::runPhase(*t, {1}, accessInput(), f).completed == 1);
}

TEST_CASE("Dispatch: an unknown instance is KIND_UNKNOWN_INSTANCE", "[dispatch]") {
  auto t = table();
  NoFetch f;
  PhaseOutput out = detail::runPhase(*t, {1, 99}, accessInput(), f);
  CHECK(out.completed == 1);
  REQUIRE(out.error);
  CHECK(out.error->kind == PhaseError::Kind::UnknownInstance);
  CHECK(out.error->instanceId == 99);
}

TEST_CASE("Instances: configure validates, is idempotent, replaces and closes", "[dispatch]") {
  detail::InstanceTable t(plugins());
  auto r = t.configure({{1, "strict", R"({"message":"ok"})"},
                        {2, "strict", R"({"message":3})"},
                        {3, "strict", R"({"message":"bad"})"},
                        {4, "nosuch", "{}"},
                        {5, "strict", "{not json"}},
                       {});
  REQUIRE(r.size() == 5);
  CHECK(r[0].ok);
  CHECK(r[1].error == "message: expected a string");
  CHECK(r[2].error == "message: must not be bad");
  CHECK(r[3].error == "unknown plugin \"nosuch\"");
  CHECK(r[4].error == "config is not valid JSON");
  auto first = t.find(1);
  t.configure({{1, "strict", R"({"message":"ok"})"}}, {});
  CHECK(t.find(1) == first);  // Same id and config: no-op.
  t.configure({{1, "strict", R"({"message":"other"})"}}, {});
  CHECK(t.find(1) != first);
  t.configure({}, {1});
  CHECK(t.find(1) == nullptr);
  CHECK(first->plugin != nullptr);  // Still alive for calls that hold it.
}
