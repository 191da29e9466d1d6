#pragma once

// Request and response heads as value types shared by the codec (http1/), the proxy (proxy/)
// and the plugin bridge (plugin/). Bodies never live here: they stream.

#include <cstdint>
#include <string>

#include "gateway/http/header_map.h"

namespace gateway::http {

// How the body of a message is delimited on the wire.
enum class BodyFraming {
  None,          // No body (GET without length, HEAD responses, 204, 304, 1xx).
  ContentLength, // Exactly contentLength bytes.
  Chunked,       // Transfer-Encoding: chunked.
  UntilClose,    // Response body delimited by the connection closing (HTTP/1.0 style).
};

struct RequestHead {
  std::string method;       // e.g. "GET"
  std::string path;         // Path part of the request target, as received (not decoded).
  std::string rawQuery;     // Text after '?', without the '?'; empty if none.
  bool hasQuery{false};     // True when the target contained '?' (even with an empty query).
  int versionMajor{1};
  int versionMinor{1};
  HeaderMap headers;
  BodyFraming framing{BodyFraming::None};
  uint64_t contentLength{0}; // Valid when framing == ContentLength.
  bool keepAlive{true};      // After this request, may the connection carry another one?
  bool expectContinue{false};// "Expect: 100-continue" was present.
  bool upgrade{false};       // Connection: upgrade + Upgrade header present.

  // "path?query" as it goes on a request line.
  std::string target() const { return hasQuery ? path + "?" + rawQuery : path; }
};

struct ResponseHead {
  int status{200};
  std::string reason;  // Reason phrase; may be empty (a default is used when serializing).
  int versionMajor{1};
  int versionMinor{1};
  HeaderMap headers;
  BodyFraming framing{BodyFraming::None};
  uint64_t contentLength{0};
  bool keepAlive{true};
};

// Default reason phrase for a status code ("OK", "Not Found", ...); "Unknown" if none.
const char* reasonPhrase(int status);

} // namespace gateway::http
