#pragma once

// Conversions between the generated protobuf messages and the SDK's value types.
// fromProto(PhaseCall) and the toProto functions of replies are the references the hand-written
// decoder and encoder (event_decoder.h, reply_encoder.h) are tested against; the server uses those.

#include "gantry_pdk/types.h"
#include "gateway/plugin/v1/plugin_service.pb.h"

namespace gantry_pdk::detail {

namespace pb = ::gateway::plugin::v1;

PhaseInput fromProto(const pb::PhaseCall& call);
// The consumer, credential and log of `call` into `in` (the part of fromProto(PhaseCall) the
// hand-written decoder, event_decoder.cc, leaves to the generated message).
void rareFromProto(const pb::PhaseCall& call, PhaseInput& in);
FetchAnswer fromProto(const pb::FetchResult& result);
void toProto(const PhaseOutput& output, pb::PhaseResult& out);
void toProto(const FetchRequest& request, uint32_t fetchId, pb::Fetch& out);
void toProto(const Mutation& mutation, pb::Mutation& out);
pb::Phase toProto(Phase phase);

}  // namespace gantry_pdk::detail
