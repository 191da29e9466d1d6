#pragma once

// The policy every plugin mutation is checked against before mutation_applier applies it. Pure
// functions, no I/O, no state: each returns Ok or an InvalidArgument status whose message says
// what was wrong (it ends up in a warn log line with the plugin name, and in a counter).
//
// The guarantee: whatever a plugin sends, gantry never emits a malformed request or response.
// Rules (docs/PROTOCOL.md "Mutation rules"):
//   * header names are RFC 9110 tokens; values contain no CR, LF, NUL or other control
//     character except HTAB;
//   * hop-by-hop headers (Connection, Keep-Alive, Transfer-Encoding, TE, Trailer, Upgrade,
//     Proxy-Connection) and Content-Length belong to the codec and cannot be touched;
//   * exit statuses are 100-599, set_status 200-599;
//   * paths start with "/" and contain no control character or space; queries contain none
//     either (nor '#'); methods are tokens; scheme is "http";
//   * bodies are at most MutationLimits::maxBodyBytes;
//   * each phase accepts only the mutations that make sense in it (see allowedInPhase).

#include <cstddef>
#include <string_view>

#include "gateway/common/status.h"
#include "gateway/plugin/runtime.h"
#include "gateway/plugin/v1/mutation.pb.h"

namespace gateway::plugin {

struct MutationLimits {
  size_t maxBodyBytes{8 * 1024 * 1024};  // request/response/exit bodies set by plugins.
};

namespace rules {

// Non-empty and only RFC 9110 tchars (http1::isValidHeaderName: one definition of a token).
bool isToken(std::string_view s);
// Case-insensitive: Connection, Keep-Alive, Transfer-Encoding, TE, Trailer, Upgrade,
// Proxy-Connection.
bool isHopByHopHeader(std::string_view name);

Status checkHeaderName(std::string_view name);
Status checkHeaderValue(std::string_view value);
// Name and value rules plus "not hop-by-hop, not Content-Length", and a valid action.
Status checkHeaderMutation(const v1::HeaderMutation& m);
// A header of an Exit response (same rules as a header mutation's SET).
Status checkHeaderField(std::string_view name, std::string_view value);
Status checkExitStatus(int status);      // 100-599.
Status checkResponseStatus(int status);  // 200-599.
Status checkPath(std::string_view path);
Status checkRawQuery(std::string_view query);
Status checkMethod(std::string_view method);
Status checkScheme(std::string_view scheme);
Status checkTarget(const v1::Target& target);
Status checkBodySize(size_t size, const MutationLimits& limits);
Status checkSharedKey(std::string_view key);
// Empty (delete) or a valid JSON text.
Status checkJsonValue(std::string_view json);

// Whether a mutation kind may be produced in a phase (docs/PROTOCOL.md section 5, Kong's rules):
//   Rewrite, Access: request changes, target/upstream, authenticate, response header (applied
//                    later to the response sent to the client, see mutation_applier.h),
//                    shared, exit, log.
//   Response:        response header/status/body, shared, exit, log.
//   HeaderFilter:    response header/status, shared, exit (status and headers only), log.
//   Log:             log lines only (mutation_applier ignores the others without counting them
//                    as rejections).
Status allowedInPhase(v1::Mutation::OpCase op, Phase phase);

// The name of a mutation kind for messages, e.g. "request_header".
const char* opName(v1::Mutation::OpCase op);

} // namespace rules
} // namespace gateway::plugin
