#pragma once

// Applies the ordered mutations of one PhaseResult to a RequestState. Pure: no I/O, no clocks,
// no logging. Every mutation is checked first against mutation_rules; a rejected mutation is
// not applied and is reported in ApplyResult::rejections (the caller counts and logs them at
// warn with the plugin name). The guarantee is that no sequence of mutations can make the
// gateway emit a malformed request or response.
//
// Exit: in the rewrite/access phases an Exit fills RequestState::exit and stops the application
// (later mutations of the same result are ignored, as in Kong where code after
// kong.response.exit never runs). An Exit whose status is invalid cannot be honoured and cannot
// be ignored either (an auth plugin denying access must not let the request through), so it is
// reported as `fatal` and the caller fails the request with 500. In the response and
// header_filter phases the response already exists: an Exit replaces its status (200-599, else
// rejected), sets its headers and, in the response phase, replaces the body (header_filter:
// a body is rejected, status and headers still apply); RequestState::exit stays unset.
//
// Response headers set before the response exists (rewrite/access, kong.response.set_header)
// go to ApplyOptions::pendingResponseHeaders, in order; the caller applies them to the response
// head (applyPendingResponseHeaders) when the response exists, whether it comes from the
// upstream or from the gateway. An Exit takes them into its reply at once (its own headers
// replace earlier ones of the same name, as in Kong).
//
// Log phase: only log lines apply; other mutations are ignored (ApplyResult::ignored), not
// rejected, since the response is gone.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <google/protobuf/repeated_ptr_field.h>

#include "gateway/plugin/runtime.h"
#include "gateway/proxy/request_state.h"
#include "plugin/config_index.h"
#include "plugin/mutation_rules.h"

namespace gateway::plugin {

struct Rejection {
  uint64_t instanceId{0};
  std::string op;      // e.g. "request_header".
  std::string reason;  // e.g. "hop-by-hop header \"Connection\" cannot be changed by plugins".
};

struct PluginLogLine {
  uint64_t instanceId{0};
  v1::LogLevel level{v1::LOG_LEVEL_UNSPECIFIED};
  std::string message;
};

struct ApplyResult {
  size_t applied{0};
  size_t ignored{0};                  // Non-log mutations in the log phase.
  bool exited{false};                 // RequestState::exit was set by this result.
  std::optional<std::string> fatal;   // An Exit that could not be honoured (see header comment).
  std::vector<Rejection> rejections;
  std::vector<PluginLogLine> logLines;  // Log mutations, for the caller's error log.
};

// Response header changes waiting for the response (see the header comment).
using PendingHeaders = std::vector<v1::HeaderMutation>;

struct ApplyOptions {
  Phase phase{Phase::Access};
  MutationLimits limits;
  // Resolves instance ids to plugin names for RequestState::pluginLogLines; may be empty.
  std::function<std::string(uint64_t instanceId)> pluginName;
  // Where rewrite/access response headers wait (required in those phases for them to apply;
  // when null they are rejected).
  PendingHeaders* pendingResponseHeaders{nullptr};
};

// Applies `pending` in order to `headers` and clears it.
void applyPendingResponseHeaders(PendingHeaders& pending, http::HeaderMap& headers);

// Applies `mutations` in order. `index` answers consumer/upstream lookups (Authenticate must
// name a configured consumer; set_upstream a configured upstream).
ApplyResult applyMutations(const google::protobuf::RepeatedPtrField<v1::Mutation>& mutations,
                           proxy::RequestState& state, const ConfigIndex& index,
                           const ApplyOptions& options);

// Checks and applies one mutation; exposed for unit tests. Returns the rejection reason.
Status applyMutation(const v1::Mutation& mutation, proxy::RequestState& state,
                     const ConfigIndex& index, const ApplyOptions& options, ApplyResult& result);

// Log levels as text ("debug" ... "alert").
const char* logLevelName(v1::LogLevel level);

} // namespace gateway::plugin
