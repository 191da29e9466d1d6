#pragma once

// One access-log line per request, as JSON (docs/CONFIG.md "access log"): time, request_id,
// client_ip, method, path, query, status, bytes_sent, bytes_received, route, service, upstream,
// upstream_status, latencies {request, proxy, upstream}. Pure; the caller decides whether to
// build a line at all (log.accessLog == "off" builds nothing).

#include <string>
#include <string_view>

#include "gateway/proxy/request_state.h"

namespace gateway::proxy {

struct AccessLogFields {
  std::string_view requestId;
  int status{0};              // Status sent to the client (499 when the client went away).
  std::string_view upstream;  // "host:port" of the last target tried; empty if none.
};

// Appends the line (without a trailing newline) to `out`.
void appendAccessLogLine(const RequestState& state, const AccessLogFields& fields, std::string& out);

// Text form: `<client_ip> - - [<time>] "<method> <path> HTTP/1.x" <status> <bytes_sent>
// request_id: "<id>"` (close to Kong's default nginx format).
void appendAccessLogText(const RequestState& state, const AccessLogFields& fields, std::string& out);

} // namespace gateway::proxy
