#pragma once

// Request ids, unique within the process and (with high probability) across restarts.

#include <cstdint>
#include <string>

namespace gateway::common {

// Thread-safe, lock-free: 1, 2, 3, ... (never 0, which means "no id").
uint64_t nextRequestId();

// The text form sent as X-Gantry-Request-Id and logged: 8 hex digits chosen at random when the
// process starts, then the id as 16 hex digits (24 lowercase hex characters in all).
std::string requestIdText(uint64_t id);

} // namespace gateway::common
