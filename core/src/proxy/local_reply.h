#pragma once

// Responses the gateway produces itself (no route, no peer, upstream errors, codec errors): Kong's
// status/message pairs and the JSON body `{"message":"..."}`. Pure functions, no I/O.

#include <string>
#include <string_view>

#include "gateway/proxy/request_state.h"

namespace gateway::proxy {

inline constexpr std::string_view kServerToken = "gantry/0.1.0";
inline constexpr std::string_view kJsonContentType = "application/json; charset=utf-8";

// Kong's messages (reference/kong-admin-bundled.md 3.4), named so call sites read as intent.
namespace messages {
inline constexpr std::string_view kNoRoute = "no Route matched with those values";
inline constexpr std::string_view kNoService = "no Service found with those values";
inline constexpr std::string_view kNoPeer = "failure to get a peer from the ring-balancer";
inline constexpr std::string_view kBadUpstreamResponse =
    "An invalid response was received from the upstream server";
inline constexpr std::string_view kUpstreamTimeout = "The upstream server is timing out";
inline constexpr std::string_view kUnexpected = "An unexpected error occurred";
// Gantry's own: the upstream body exceeds what response-phase plugins may buffer.
inline constexpr std::string_view kResponseTooLarge =
    "The upstream response is larger than the gateway's response buffer limit";
} // namespace messages

// The message Kong's error handler uses for `status` ("Bad request", "Request timeout", ...;
// "The upstream server responded with <status>" for anything else).
std::string defaultMessage(int status);

// Appends `text` to `out` as the inside of a JSON string (quotes not included).
void appendJsonEscaped(std::string& out, std::string_view text);

// A JSON error reply: `{"message":"<message>"}` with Content-Type application/json. The proxy adds
// Server, X-Gantry-Request-Id and latency headers when it sends the reply.
LocalReply makeJsonReply(int status, std::string_view message);

// makeJsonReply(status, defaultMessage(status)).
LocalReply makeDefaultReply(int status);

} // namespace gateway::proxy
