#pragma once

// Encodes Replies (plugin_service.proto) by hand, straight from the SDK's value types into the
// bytes of a ReplyBatch: no protobuf message per reply. The bytes are those protobuf's serializer
// writes for the same message (convert.cc's toProto is the reference the tests compare with).
//
// Strings a plugin set that are not valid UTF-8 (proto3 `string` fields must be; gantry closes a
// stream whose ReplyBatch breaks the rule, and with it every call in flight on it) are repaired:
// each run of invalid bytes becomes U+FFFD, and the first repair is logged once to stderr. Bytes
// fields (bodies) are sent as they are.

#include <cstdint>
#include <string>
#include <string_view>

#include "gantry_pdk/types.h"

namespace gantry_pdk::detail {

// Append one Reply (ReplyBatch field 1) to `out`.
void appendResultReply(uint64_t requestId, uint32_t seq, const PhaseOutput& output,
                       std::string& out);
void appendFetchReply(uint64_t requestId, uint32_t seq, const FetchRequest& request,
                      uint32_t fetchId, std::string& out);

// `s` with each run of bytes that is not valid UTF-8 replaced by U+FFFD (Go's
// strings.ToValidUTF8(s, "\uFFFD")).
std::string repairUtf8(std::string_view s);

}  // namespace gantry_pdk::detail
