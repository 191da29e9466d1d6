#pragma once

// Small, allocation-free syntax helpers for HTTP/1.x (RFC 9110 / RFC 9112) used by the
// decoders and encoders. No llhttp here: these are the checks Gantry does on top of llhttp.

#include <cstdint>
#include <optional>
#include <string_view>

namespace gateway::http1::syntax {

// RFC 9110 tchar: "!#$%&'*+-.^_`|~" / DIGIT / ALPHA.
bool isTokenChar(unsigned char c);

// Control characters not allowed in a field value: everything below 0x20 except HTAB, and DEL.
inline bool isForbiddenValueChar(unsigned char c) { return (c < 0x20 && c != '\t') || c == 0x7f; }

inline bool isOws(char c) { return c == ' ' || c == '\t'; }

std::string_view trimOws(std::string_view s);

// Content-Length must be 1*DIGIT, at most 19 digits (fits uint64_t). No sign, no spaces
// inside, no comma lists. nullopt when not a plain decimal.
std::optional<uint64_t> parseContentLength(std::string_view value);

// Incremental check of Transfer-Encoding values (one call per header line, in order).
// Tracks whether "chunked" is present, final and applied once, and whether any other coding
// was seen. Empty list elements are ignored (RFC 9110 5.6.1).
class TransferEncodingState {
public:
  enum class Error { None, ChunkedTwice, ChunkedNotFinal, BadCoding };
  // Feeds one field value; returns the first problem found, or None.
  Error add(std::string_view value);
  bool chunkedFinal() const { return chunked_; }
  bool otherCoding() const { return other_; }

private:
  bool chunked_{false};  // "chunked" seen (and nothing after it so far).
  bool other_{false};    // A coding other than chunked seen.
};

// A request target split per RFC 9112 3.2.
struct Target {
  std::string_view path;       // Origin-form path ("/" for absolute-form without a path).
  std::string_view query;      // Without '?'.
  bool hasQuery{false};
  std::string_view authority;  // Non-empty only for absolute-form.
  bool asterisk{false};        // "*" (OPTIONS only).
};

// Splits and validates a target. Returns a reason string on failure, nullptr on success.
const char* splitTarget(std::string_view raw, Target& out);

} // namespace gateway::http1::syntax
