#include <catch2/catch.hpp>

#include <map>
#include <string>

#include "gateway/upstream/balancer.h"

using gateway::config::BalancerAlgorithm;
using gateway::config::HashOn;
using gateway::config::Target;
using gateway::config::Upstream;
using gateway::upstream::Endpoint;
using gateway::upstream::HashInput;
using namespace std::chrono_literals;

namespace {

using Clock = std::chrono::steady_clock;
const Clock::time_point kT0 = Clock::time_point{} + 1h;  // Injected time; never the real clock.

Upstream makeUpstream(std::vector<std::pair<std::string, int>> targets,
                      BalancerAlgorithm algorithm = BalancerAlgorithm::RoundRobin) {
  Upstream u;
  u.name = "up";
  u.algorithm = algorithm;
  for (auto& [host, weight] : targets) {
    Target t;
    t.host = host;
    t.port = 80;
    t.weight = weight;
    u.targets.push_back(t);
  }
  return u;
}

Upstream hashingUpstream(size_t n, HashOn on = HashOn::Header) {
  std::vector<std::pair<std::string, int>> targets;
  for (size_t i = 0; i < n; ++i) {
    targets.emplace_back("10.0.0." + std::to_string(i + 1), 100);
  }
  Upstream u = makeUpstream(targets, BalancerAlgorithm::ConsistentHashing);
  u.hashOn = on;
  u.hashOnHeader = "x-user";
  return u;
}

// The HashInput views `value`: keep the string alive while the input is used.
HashInput headerKey(const std::string& value) {
  HashInput in;
  in.headerValue = value;
  return in;
}

Endpoint ep(const std::string& host) { return Endpoint{host, 80}; }

} // namespace

TEST_CASE("round-robin distributes exactly by weight", "[upstream]") {
  auto b = gateway::upstream::createUpstreamBalancer(
      makeUpstream({{"a", 5}, {"b", 1}, {"c", 1}, {"off", 0}}));
  REQUIRE(b->targetCount() == 3);
  std::map<std::string, int> counts;
  std::string sequence;
  for (int i = 0; i < 7 * 100; ++i) {
    auto e = b->pick({}, {}, kT0);
    REQUIRE(e);
    ++counts[e->host];
    if (i < 7) {
      sequence += e->host;
    }
  }
  CHECK(counts["a"] == 500);
  CHECK(counts["b"] == 100);
  CHECK(counts["c"] == 100);
  CHECK(counts.count("off") == 0);
  CHECK(sequence == "aabacaa");  // Smooth: nginx's interleaving, not "aaaaabc".
}

TEST_CASE("least-connections currently behaves as round-robin", "[upstream]") {
  auto b = gateway::upstream::createUpstreamBalancer(
      makeUpstream({{"a", 1}, {"b", 1}}, BalancerAlgorithm::LeastConnections));
  CHECK(b->pick({}, {}, kT0)->host != b->pick({}, {}, kT0)->host);
}

TEST_CASE("exclude sends retries to the next target", "[upstream]") {
  auto b = gateway::upstream::createUpstreamBalancer(makeUpstream({{"a", 1}, {"b", 1}, {"c", 1}}));
  std::vector<Endpoint> tried;
  for (int i = 0; i < 3; ++i) {
    auto e = b->pick({}, tried, kT0);
    REQUIRE(e);
    CHECK(std::find(tried.begin(), tried.end(), *e) == tried.end());
    tried.push_back(*e);
  }
  CHECK_FALSE(b->pick({}, tried, kT0));
}

TEST_CASE("an upstream with no usable target yields no peer", "[upstream]") {
  auto b = gateway::upstream::createUpstreamBalancer(makeUpstream({{"a", 0}}));
  CHECK(b->targetCount() == 0);
  CHECK_FALSE(b->pick({}, {}, kT0));
}

TEST_CASE("consistent hashing: same key, same target; keys spread by weight", "[upstream]") {
  Upstream u = makeUpstream({{"a", 100}, {"b", 100}, {"c", 200}}, BalancerAlgorithm::ConsistentHashing);
  u.hashOn = HashOn::Header;
  auto b1 = gateway::upstream::createUpstreamBalancer(u);
  auto b2 = gateway::upstream::createUpstreamBalancer(u);  // Another worker.
  std::map<std::string, int> counts;
  for (int i = 0; i < 8000; ++i) {
    std::string key = "user-" + std::to_string(i);
    auto e = b1->pick(headerKey(key), {}, kT0);
    REQUIRE(e);
    CHECK(*e == *b1->pick(headerKey(key), {}, kT0));
    CHECK(*e == *b2->pick(headerKey(key), {}, kT0));
    ++counts[e->host];
  }
  CHECK(counts["a"] == Approx(2000).epsilon(0.1));
  CHECK(counts["b"] == Approx(2000).epsilon(0.1));
  CHECK(counts["c"] == Approx(4000).epsilon(0.1));
}

TEST_CASE("consistent hashing: removing a target moves only its keys", "[upstream]") {
  Upstream full = hashingUpstream(5);
  Upstream less = full;
  less.targets.erase(less.targets.begin() + 2);  // Drop 10.0.0.3.
  auto before = gateway::upstream::createUpstreamBalancer(full);
  auto after = gateway::upstream::createUpstreamBalancer(less);
  int moved = 0;
  for (int i = 0; i < 5000; ++i) {
    std::string key = "k" + std::to_string(i);
    HashInput in = headerKey(key);
    Endpoint was = *before->pick(in, {}, kT0);
    Endpoint now = *after->pick(in, {}, kT0);
    if (was.host != "10.0.0.3") {
      CHECK(now == was);
    } else {
      ++moved;
    }
  }
  CHECK(moved == Approx(1000).epsilon(0.15));

  // Adding it back moves those keys back, and only those.
  auto again = gateway::upstream::createUpstreamBalancer(full);
  for (int i = 0; i < 500; ++i) {
    std::string key = "k" + std::to_string(i);
    HashInput in = headerKey(key);
    CHECK(*again->pick(in, {}, kT0) == *before->pick(in, {}, kT0));
  }
}

TEST_CASE("consistent hashing: hash_on ip, consumer, and the fallback", "[upstream]") {
  Upstream u = hashingUpstream(4, HashOn::Consumer);
  u.hashFallback = HashOn::Ip;
  auto b = gateway::upstream::createUpstreamBalancer(u);

  HashInput consumer;
  consumer.consumerId = "c-1";
  consumer.clientIp = "192.0.2.1";
  HashInput sameConsumerOtherIp = consumer;
  sameConsumerOtherIp.clientIp = "192.0.2.99";
  CHECK(*b->pick(consumer, {}, kT0) == *b->pick(sameConsumerOtherIp, {}, kT0));

  // No consumer: the client IP decides, stably, and different IPs spread over the targets.
  std::map<std::string, Endpoint> byIp;
  std::map<std::string, int> perTarget;
  for (int i = 0; i < 400; ++i) {
    std::string ip = "198.51.100." + std::to_string(i % 200);
    HashInput anon;
    anon.clientIp = ip;
    auto e = b->pick(anon, {}, kT0);
    REQUIRE(e);
    auto [it, inserted] = byIp.emplace(ip, *e);
    CHECK(it->second == *e);
    if (inserted) {
      ++perTarget[e->host];
    }
  }
  CHECK(perTarget.size() == 4);

  // Header fallback reads fallbackHeaderValue.
  Upstream h = hashingUpstream(4, HashOn::Header);
  h.hashFallback = HashOn::Header;
  auto hb = gateway::upstream::createUpstreamBalancer(h);
  HashInput primary;
  primary.headerValue = "v";
  HashInput fallback;
  fallback.fallbackHeaderValue = "v";
  CHECK(*hb->pick(primary, {}, kT0) == *hb->pick(fallback, {}, kT0));
}

TEST_CASE("consistent hashing without any key falls back to round-robin", "[upstream]") {
  auto b = gateway::upstream::createUpstreamBalancer(hashingUpstream(2));
  auto first = b->pick({}, {}, kT0);
  auto second = b->pick({}, {}, kT0);
  REQUIRE(first);
  REQUIRE(second);
  CHECK(*first != *second);
}

TEST_CASE("consistent hashing: an excluded target sends the key to a stable second choice", "[upstream]") {
  auto b = gateway::upstream::createUpstreamBalancer(hashingUpstream(5));
  std::string key = "sticky";
  HashInput in = headerKey(key);
  Endpoint first = *b->pick(in, {}, kT0);
  Endpoint second = *b->pick(in, {first}, kT0);
  CHECK(second != first);
  CHECK(*b->pick(in, {first}, kT0) == second);
  CHECK(*b->pick(in, {}, kT0) == first);
}

TEST_CASE("passive health: trip after consecutive failures, recover after the duration", "[upstream]") {
  Upstream u = makeUpstream({{"a", 1}, {"b", 1}});
  u.passive.unhealthyFailures = 3;
  u.passive.unhealthyDuration = 10s;
  auto b = gateway::upstream::createUpstreamBalancer(u);

  b->reportFailure(ep("a"), kT0);
  b->reportFailure(ep("a"), kT0);
  b->reportSuccess(ep("a"));  // Resets the count.
  b->reportFailure(ep("a"), kT0);
  b->reportFailure(ep("a"), kT0);
  for (int i = 0; i < 4; ++i) {
    CHECK(b->pick({}, {}, kT0)); // Both still healthy: 2 consecutive failures only.
  }
  int sawA = 0;
  for (int i = 0; i < 4; ++i) {
    sawA += b->pick({}, {}, kT0)->host == "a";
  }
  CHECK(sawA == 2);

  b->reportFailure(ep("a"), kT0 + 1s);  // Third consecutive failure: tripped until kT0 + 11s.
  for (int i = 0; i < 6; ++i) {
    CHECK(b->pick({}, {}, kT0 + 5s)->host == "b");
  }
  CHECK(b->pick({}, {}, kT0 + 10999ms)->host == "b");
  sawA = 0;
  for (int i = 0; i < 4; ++i) {
    sawA += b->pick({}, {}, kT0 + 11s)->host == "a";
  }
  CHECK(sawA == 2);  // Back in rotation.
}

TEST_CASE("passive health: no healthy target means no peer (503)", "[upstream]") {
  Upstream u = makeUpstream({{"a", 1}, {"b", 1}});
  u.passive.unhealthyFailures = 1;
  u.passive.unhealthyDuration = 5s;
  auto b = gateway::upstream::createUpstreamBalancer(u);
  b->reportFailure(ep("a"), kT0);
  b->reportFailure(ep("b"), kT0);
  CHECK_FALSE(b->pick({}, {}, kT0 + 1s));
  CHECK(b->pick({}, {}, kT0 + 5s));

  // Excluded plus unhealthy also leaves nothing.
  Upstream v = makeUpstream({{"a", 1}, {"b", 1}});
  v.passive.unhealthyFailures = 1;
  auto c = gateway::upstream::createUpstreamBalancer(v);
  c->reportFailure(ep("a"), kT0);
  CHECK_FALSE(c->pick({}, {ep("b")}, kT0));
}

TEST_CASE("passive health applies to consistent hashing too", "[upstream]") {
  Upstream u = hashingUpstream(3);
  u.passive.unhealthyFailures = 1;
  u.passive.unhealthyDuration = 1s;
  auto b = gateway::upstream::createUpstreamBalancer(u);
  std::string key = "k";
  HashInput in = headerKey(key);
  Endpoint home = *b->pick(in, {}, kT0);
  b->reportFailure(home, kT0);
  CHECK(*b->pick(in, {}, kT0) != home);
  CHECK(*b->pick(in, {}, kT0 + 1s) == home);
}

TEST_CASE("passive health can be disabled and unknown targets are ignored", "[upstream]") {
  Upstream u = makeUpstream({{"a", 1}});
  u.passive.unhealthyFailures = 0;
  auto b = gateway::upstream::createUpstreamBalancer(u);
  for (int i = 0; i < 10; ++i) {
    b->reportFailure(ep("a"), kT0);
    b->reportFailure(ep("zzz"), kT0);
  }
  b->reportSuccess(ep("zzz"));
  CHECK(b->pick({}, {}, kT0));
}

TEST_CASE("single-target balancer", "[upstream]") {
  auto b = gateway::upstream::createSingleTargetBalancer(Endpoint{"example.com", 8080});
  CHECK(b->targetCount() == 1);
  for (int i = 0; i < 5; ++i) {
    b->reportFailure(Endpoint{"example.com", 8080}, kT0);
  }
  auto e = b->pick({}, {}, kT0);
  REQUIRE(e);
  CHECK(e->toString() == "example.com:8080");
  CHECK_FALSE(b->pick({}, {*e}, kT0));
}
