#pragma once

// The PhaseCall snapshot built on protobuf messages, field by field, as the plugin runtime did
// before it encoded snapshots by hand (snapshot_encoder.h). Tests compare the encoder's bytes,
// parsed, with this readable statement of what each phase carries.

#include "gateway/plugin/v1/plugin_service.pb.h"
#include "gateway/proxy/request_state.h"
#include "plugin/plan.h"

namespace gateway::plugin::testing {

void fillPhaseCall(v1::PhaseCall& call, Phase phase, const proxy::RequestState& state,
                   const InstanceList& instances, bool includeRequestBody);

} // namespace gateway::plugin::testing
