#pragma once

// Entity and phase messages shared by fetch answers and the control RPCs. (The snapshot of a
// PhaseCall is encoded by hand: snapshot_encoder.h.) Pure.

#include <cstdint>
#include <vector>

#include "gateway/plugin/runtime.h"
#include "gateway/plugin/v1/plugin_service.pb.h"
#include "gateway/proxy/request_state.h"
#include "plugin/plan.h"

namespace gateway::plugin {

v1::Phase toProtoPhase(Phase phase);

// Entity messages, shared with fetch answers.
void fillConsumer(v1::Consumer& out, const config::Consumer& consumer);
void fillRoute(v1::Route& out, const config::Route& route);
void fillService(v1::Service& out, const config::Service& service);

} // namespace gateway::plugin
