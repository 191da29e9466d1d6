#include "event/uv_status.h"

#include <string>

#include <uv.h>

namespace gateway::event {

namespace {

StatusCode codeFor(int rc) {
  switch (rc) {
  case UV_ECONNREFUSED:
  case UV_ECONNRESET:
  case UV_ECONNABORTED:
  case UV_ENETUNREACH:
  case UV_EHOSTUNREACH:
  case UV_ENETDOWN:
  case UV_EPIPE:
  case UV_EADDRINUSE:
  case UV_EADDRNOTAVAIL:
  case UV_EAI_AGAIN:
    return StatusCode::Unavailable;
  case UV_ETIMEDOUT:
    return StatusCode::DeadlineExceeded;
  case UV_ENOENT:
  case UV_EAI_NONAME:
  case UV_EAI_NODATA:
    return StatusCode::NotFound;
  case UV_EINVAL:
  case UV_EAI_FAMILY:
    return StatusCode::InvalidArgument;
  case UV_EMFILE:
  case UV_ENFILE:
  case UV_ENOMEM:
  case UV_ENOBUFS:
    return StatusCode::ResourceExhausted;
  default:
    return StatusCode::Internal;
  }
}

} // namespace

Status uvStatus(int rc, std::string_view context) {
  if (rc >= 0) {
    return Status::ok();
  }
  std::string message(context);
  message += ": ";
  message += uv_strerror(rc);
  return {codeFor(rc), std::move(message)};
}

} // namespace gateway::event
