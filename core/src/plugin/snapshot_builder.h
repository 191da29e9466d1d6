#pragma once

// RequestState -> PhaseCall: the snapshot that travels with each phase so that plugins' getters
// are answered locally in the SDK. Pure. Fills message objects in place (the transport reuses
// them; see server_link.h), so nothing here allocates a message.

#include <cstdint>
#include <vector>

#include "gateway/plugin/runtime.h"
#include "gateway/plugin/v1/plugin_service.pb.h"
#include "gateway/proxy/request_state.h"
#include "plugin/plan.h"

namespace gateway::plugin {

v1::Phase toProtoPhase(Phase phase);

// Fills `call` (assumed cleared) for `phase`. The request body goes in only when
// `includeRequestBody` (a plugin of this call declared it in body_phases) and the proxy
// buffered it (RequestState::requestBody). The response snapshot is added for the
// response/header_filter/log phases, with the buffered body in the response phase only; LogInfo
// in the log phase.
// `instances` are the ones to run, in order (their ids go into the call).
void fillPhaseCall(v1::PhaseCall& call, Phase phase, const proxy::RequestState& state,
                   const InstanceList& instances, bool includeRequestBody);

// Entity messages, shared with fetch answers.
void fillConsumer(v1::Consumer& out, const config::Consumer& consumer);
void fillRoute(v1::Route& out, const config::Route& route);
void fillService(v1::Service& out, const config::Service& service);

} // namespace gateway::plugin
