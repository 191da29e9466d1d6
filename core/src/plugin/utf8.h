#pragma once

// Proto3 `string` fields must hold UTF-8: protobuf libraries of other languages (Go, Java,
// Python) reject a whole message with one invalid string, which would break the Events stream and
// every request on it. Bytes from clients and upstreams (header values, paths, queries, hosts)
// need not be UTF-8, so the snapshot carries them through utf8Safe(): valid text unchanged (a
// fast ASCII scan first), each byte that is not part of a valid sequence replaced by U+FFFD. Only the copy a plugin reads
// is affected; the request and response gantry forwards keep their bytes.

#include <string>
#include <string_view>

namespace gateway::plugin {

// True if `s` is well-formed UTF-8 (RFC 3629: no overlongs, surrogates or code points above
// U+10FFFF).
bool isValidUtf8(std::string_view s);

// `s` with every byte that is not part of a valid sequence replaced by U+FFFD.
std::string toValidUtf8(std::string_view s);

// Calls `set(std::string_view)` with `s` or, when it is not valid UTF-8, its repaired copy.
template <typename Set> void setUtf8(std::string_view s, Set&& set) {
  if (isValidUtf8(s)) {
    set(s);
  } else {
    set(std::string_view(toValidUtf8(s)));
  }
}

} // namespace gateway::plugin
