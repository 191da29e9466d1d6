#pragma once

// Conversions between the generated protobuf messages and the SDK's value types. The only SDK
// file besides the gRPC ones that includes generated code.

#include "gantry_pdk/types.h"
#include "gateway/plugin/v1/plugin_service.pb.h"

namespace gantry_pdk::detail {

namespace pb = ::gateway::plugin::v1;

PhaseInput fromProto(const pb::PhaseCall& call);
FetchAnswer fromProto(const pb::FetchResult& result);
void toProto(const PhaseOutput& output, pb::PhaseResult& out);
void toProto(const FetchRequest& request, uint32_t fetchId, pb::Fetch& out);
void toProto(const Mutation& mutation, pb::Mutation& out);
pb::Phase toProto(Phase phase);

}  // namespace gantry_pdk::detail
