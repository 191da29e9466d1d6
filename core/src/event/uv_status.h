#pragma once

// libuv's negative error codes become gateway::Status here and only here (STYLE point 13).

#include <string_view>

#include "gateway/common/status.h"

namespace gateway::event {

// Maps a libuv error code (< 0) to a Status whose message is "<context>: <uv_strerror(rc)>".
// Refused/unreachable/reset map to Unavailable, ETIMEDOUT to DeadlineExceeded, ENOENT and DNS
// "no such name" to NotFound, EINVAL to InvalidArgument, everything else to Internal.
// rc >= 0 gives Status::ok().
Status uvStatus(int rc, std::string_view context);

} // namespace gateway::event
