#pragma once

// RequestState -> the bytes of one Event { request_id, seq, phase_call } of an EventBatch,
// written straight from the request's own structures: no protobuf objects, no per-string
// allocation. The snapshot is the one PROTOCOL.md 3.3 describes (and test/core/plugin keeps
// a reference builder on protobuf messages that the tests compare it with, field by field).
// Pure; worker thread or any.

#include <cstdint>
#include <string>

#include "gateway/plugin/runtime.h"
#include "gateway/proxy/request_state.h"
#include "plugin/plan.h"

namespace gateway::plugin {

// Appends `EventBatch.events` entry (field 1, length-delimited) holding a PhaseCall for
// `phase` to `out`, so a batch is the concatenation of such entries. `instances` are the ones
// to run, in order. The request body goes in only when `includeRequestBody` and the proxy
// buffered it; the response snapshot in the response/header_filter/log phases (with the
// buffered body in the response phase only); LogInfo in the log phase. Strings from clients and
// upstreams are repaired to UTF-8 (utf8.h).
void appendPhaseCallEvent(std::string& out, uint64_t requestId, uint32_t seq, Phase phase,
                          const proxy::RequestState& state, const InstanceList& instances,
                          bool includeRequestBody);

} // namespace gateway::plugin
