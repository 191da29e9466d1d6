#include <set>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "common/request_id.h"

namespace gateway::common {
namespace {

TEST_CASE("Request ids are unique across threads and never 0", "[common][requestid]") {
  std::vector<std::vector<uint64_t>> ids(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 1000; ++i) {
        ids[t].push_back(nextRequestId());
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  std::set<uint64_t> all;
  for (auto& list : ids) {
    all.insert(list.begin(), list.end());
  }
  CHECK(all.size() == 4000);
  CHECK(all.count(0) == 0);
}

TEST_CASE("Request id text is 24 lowercase hex digits with a per-process prefix",
          "[common][requestid]") {
  std::string a = requestIdText(1);
  std::string b = requestIdText(255);
  REQUIRE(a.size() == 24);
  CHECK(a.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(a.substr(0, 8) == b.substr(0, 8));
  CHECK(b.substr(8) == "00000000000000ff");
}

} // namespace
} // namespace gateway::common
