#include "common/request_id.h"

#include <atomic>
#include <cstdio>
#include <random>

namespace gateway::common {

namespace {

std::atomic<uint64_t> counter{0};

uint32_t processNonce() {
  static const uint32_t nonce = [] {
    std::random_device device;
    return static_cast<uint32_t>(device());
  }();
  return nonce;
}

} // namespace

uint64_t nextRequestId() { return counter.fetch_add(1, std::memory_order_relaxed) + 1; }

std::string requestIdText(uint64_t id) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%08x%016llx", processNonce(),
                static_cast<unsigned long long>(id));
  return buf;
}

} // namespace gateway::common
