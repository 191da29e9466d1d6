#include <catch2/catch.hpp>

#include "plugin/plan.h"

using namespace gateway;
using namespace gateway::plugin;

namespace {

PluginDescriptor desc(std::string name, int priority, size_t server = 0,
                      uint32_t phases = phaseBit(Phase::Access) | phaseBit(Phase::Log)) {
  PluginDescriptor d;
  d.name = std::move(name);
  d.priority = priority;
  d.serverIndex = server;
  d.serverName = "s" + std::to_string(server);
  d.phases = phases;
  d.schema = *ConfigSchema::parse(
      R"({"fields":[{"config":{"type":"record","fields":[{"tag":{"type":"string"}}]}}]})");
  return d;
}

std::shared_ptr<PluginCatalog> catalog() {
  auto c = std::make_shared<PluginCatalog>();
  for (auto d : {desc("key-auth", 1250), desc("rate-limiting", 910), desc("acl", 950),
                 desc("b-tie", 100), desc("a-tie", 100), desc("other-server", 1000, 1),
                 desc("rewriter", 2000, 0, phaseBit(Phase::Rewrite))}) {
    c->emplace(d.name, d);
  }
  return c;
}

config::PluginEntity entity(std::string name, std::string tag, std::string route = "",
                            std::string service = "", std::string consumer = "") {
  config::PluginEntity e;
  e.id = name + "-" + tag;
  e.name = std::move(name);
  e.routeId = std::move(route);
  e.serviceId = std::move(service);
  e.consumerId = std::move(consumer);
  e.config = {{"tag", tag}};
  return e;
}

std::string tagOf(const PlanInstance* i) {
  return i == nullptr ? "none" : nlohmann::json::parse(i->configJson)["tag"].get<std::string>();
}

std::vector<std::string> names(const InstanceList& l) {
  std::vector<std::string> out;
  for (auto* i : l) {
    out.push_back(i->plugin->name);
  }
  return out;
}

struct Built {
  InstanceRegistry registry;
  PlanBuildResult result;
  explicit Built(std::vector<config::PluginEntity> plugins) {
    auto cfg = std::make_shared<config::Config>();
    cfg->plugins = std::move(plugins);
    result = buildPlanData(cfg, catalog(), registry);
  }
  const PlanData& plan() const { return *result.data; }
};

} // namespace

TEST_CASE("Plan.precedenceTable", "[plan]") {
  // All eight scope combinations of one plugin name; the most specific present wins.
  std::vector<config::PluginEntity> all = {
      entity("acl", "rsc", "r", "s", "c"), entity("acl", "rc", "r", "", "c"),
      entity("acl", "sc", "", "s", "c"),  entity("acl", "rs", "r", "s", ""),
      entity("acl", "c", "", "", "c"),    entity("acl", "r", "r", "", ""),
      entity("acl", "s", "", "s", ""),    entity("acl", "g", "", "", "")};
  const std::vector<std::string> order = {"rsc", "rc", "sc", "rs", "c", "r", "s", "g"};
  for (size_t drop = 0; drop < order.size(); ++drop) {
    std::vector<config::PluginEntity> some(all.begin() + drop, all.end());
    Built b(some);
    REQUIRE(b.result.errors.empty());
    const auto& slot = b.plan().slots().at(0);
    INFO("entities from " << order[drop]);
    CHECK(tagOf(b.plan().resolve(slot, "r", "s", "c", "http")) == order[drop]);
  }
  Built b(all);
  const auto& slot = b.plan().slots().at(0);
  CHECK(tagOf(b.plan().resolve(slot, "r", "s", "", "http")) == "rs");
  CHECK(tagOf(b.plan().resolve(slot, "", "", "c", "http")) == "c");
  CHECK(tagOf(b.plan().resolve(slot, "r2", "s2", "c2", "http")) == "g");
  CHECK(tagOf(b.plan().resolve(slot, "r", "s2", "", "http")) == "r");
  CHECK(tagOf(b.plan().resolve(slot, "r2", "s", "c", "http")) == "sc");
}

TEST_CASE("Plan.priorityAndTieBreak", "[plan]") {
  Built b({entity("a-tie", "1"), entity("rate-limiting", "1"), entity("key-auth", "1"),
           entity("b-tie", "1"), entity("acl", "1")});
  REQUIRE(b.result.errors.empty());
  CHECK(names(resolveAll(b.plan(), {})) ==
        std::vector<std::string>{"key-auth", "acl", "rate-limiting", "b-tie", "a-tie"});
}

TEST_CASE("Plan.disabledAndProtocols", "[plan]") {
  auto route = entity("acl", "route", "r");
  route.enabled = false;
  auto global = entity("acl", "global");
  auto httpsOnly = entity("key-auth", "tls");
  httpsOnly.protocols = {"https"};
  Built b({route, global, httpsOnly});
  REQUIRE(b.result.errors.empty());
  auto l = resolveAll(b.plan(), {"r", "", "", "http"});
  REQUIRE(l.size() == 1);
  CHECK(tagOf(l[0]) == "global");  // A disabled, more specific config does not shadow.
  CHECK(resolveAll(b.plan(), {"r", "", "", "https"}).size() == 2);
}

TEST_CASE("Plan.errorsNameThePlace", "[plan]") {
  auto bad = entity("acl", "x");
  bad.config = {{"tag", 5}};
  Built b({entity("acl", "ok"), entity("nope", "x"), bad});
  CHECK_FALSE(b.result.data);
  REQUIRE(b.result.errors.size() == 2);
  CHECK(b.result.errors[0].path == "plugins[1].name");
  CHECK(b.result.errors[0].message == "no plugin server provides plugin \"nope\"");
  CHECK(b.result.errors[1].path == "plugins[2].config.tag");
  CHECK(b.result.errors[1].message == "expected a string");
  CHECK(b.registry.size() == 0);  // Nothing stays acquired.
}

TEST_CASE("Plan.duplicateScopeRejected", "[plan]") {
  auto a = entity("acl", "1", "r");
  auto b2 = entity("acl", "2", "r");
  b2.id = "other";
  Built b({a, b2});
  REQUIRE(b.result.errors.size() == 1);
  CHECK(b.result.errors[0].message.find("already configured") != std::string::npos);
}

TEST_CASE("Plan.instanceIdsStableAcrossReloads", "[plan]") {
  InstanceRegistry registry;
  auto cfg1 = std::make_shared<config::Config>();
  cfg1->plugins = {entity("acl", "1"), entity("key-auth", "1")};
  auto p1 = buildPlanData(cfg1, catalog(), registry);
  CHECK(p1.newInstanceIds.size() == 2);
  auto cfg2 = std::make_shared<config::Config>();
  cfg2->plugins = {entity("acl", "1"), entity("key-auth", "1")};
  cfg2->plugins[1].config = {{"tag", "changed"}};
  cfg2->plugins[1].id = "key-auth-1";
  auto p2 = buildPlanData(cfg2, catalog(), registry);
  REQUIRE(p2.errors.empty());
  CHECK(p2.newInstanceIds.size() == 1);  // Only the changed config is new.
  const auto aclId1 = p1.data->instances()[0].instanceId;
  CHECK(p2.data->instances()[0].instanceId == aclId1);
  CHECK(p2.data->instances()[1].instanceId != p1.data->instances()[1].instanceId);
  // Dropping the old plan closes only what the new one does not use.
  std::vector<uint64_t> ids;
  for (auto& i : p1.data->instances()) ids.push_back(i.instanceId);
  auto dropped = registry.release(ids);
  REQUIRE(dropped.size() == 1);
  CHECK(dropped[0] == p1.data->instances()[1].instanceId);
}

TEST_CASE("Plan.releaserCalledWhenLastHolderGoes", "[plan]") {
  Built b({entity("acl", "1")});
  std::vector<uint64_t> released;
  b.result.data->setReleaser([&](std::vector<uint64_t> ids) { released = ids; });
  b.result.data.reset();
  CHECK(released.size() == 1);
}

TEST_CASE("Plan.collectingPhaseReresolvesWithConsumer", "[plan]") {
  // key-auth authenticates; rate-limiting has a consumer-scoped config; acl is global only.
  Built b({entity("key-auth", "g"), entity("acl", "g"), entity("rate-limiting", "g"),
           entity("rate-limiting", "alice", "", "", "c-alice"), entity("a-tie", "g")});
  REQUIRE(b.result.errors.empty());
  size_t cursor = 0;
  InstanceList collected;
  auto first = nextCollectingSegment(b.plan(), {"r", "s", ""}, Phase::Access, cursor, collected);
  CHECK(names(first) == std::vector<std::string>{"key-auth", "acl"});
  // key-auth authenticated alice: the remainder resolves with her.
  auto second =
      nextCollectingSegment(b.plan(), {"r", "s", "c-alice"}, Phase::Access, cursor, collected);
  CHECK(names(second) == std::vector<std::string>{"rate-limiting", "a-tie"});
  CHECK(tagOf(second[0]) == "alice");
  CHECK(nextCollectingSegment(b.plan(), {"r", "s", "c-alice"}, Phase::Access, cursor, collected)
            .empty());
  CHECK(collected.size() == 4);
  CHECK(tagOf(collected[2]) == "alice");  // The list reused by later phases.

  // Without authentication the remainder gets the global config.
  cursor = 0;
  collected.clear();
  nextCollectingSegment(b.plan(), {"r", "s", ""}, Phase::Access, cursor, collected);
  auto anon = nextCollectingSegment(b.plan(), {"r", "s", ""}, Phase::Access, cursor, collected);
  CHECK(tagOf(anon[0]) == "g");
}

TEST_CASE("Plan.segmentsSplitByServer", "[plan]") {
  Built b({entity("key-auth", "g"), entity("other-server", "g"), entity("acl", "g"),
           entity("rewriter", "g")});
  REQUIRE(b.result.errors.empty());
  auto all = resolveAll(b.plan(), {});
  auto segs = segmentsByServer(all, Phase::Access);
  REQUIRE(segs.size() == 3);
  CHECK(names(segs[0]) == std::vector<std::string>{"key-auth"});
  CHECK(names(segs[1]) == std::vector<std::string>{"other-server"});
  CHECK(names(segs[2]) == std::vector<std::string>{"acl"});
  auto rw = segmentsByServer(all, Phase::Rewrite);
  REQUIRE(rw.size() == 1);
  CHECK(names(rw[0]) == std::vector<std::string>{"rewriter"});
}

TEST_CASE("Plan.configureErrorsPlacedAtTheEntity", "[plan]") {
  auto at = [](const std::string& message) {
    PlanBuildError e = configureErrorAt("plugins[2]", message);
    return e.path + ": " + e.message;
  };
  // Go SDK: from the config root.
  CHECK(at("config.limits.max_count: expected an integer") ==
        "plugins[2].config.limits.max_count: expected an integer");
  CHECK(at("config: invalid JSON at offset 3") == "plugins[2].config: invalid JSON at offset 3");
  CHECK(at("config") == "plugins[2].config: rejected by the plugin server");
  // C++ SDK: relative to the config.
  CHECK(at("message: expected a string") == "plugins[2].config.message: expected a string");
  CHECK(at("limits.max: out of range") == "plugins[2].config.limits.max: out of range");
  CHECK(at("tags[1]: expected a string") == "plugins[2].config.tags[1]: expected a string");
  // A field that merely starts with "config".
  CHECK(at("configuration: bad") == "plugins[2].config.configuration: bad");
  // No field path: placed at the config.
  CHECK(at("invalid JSON: unexpected end") == "plugins[2].config: invalid JSON: unexpected end");
  CHECK(at("init hook failed") == "plugins[2].config: init hook failed");
}
