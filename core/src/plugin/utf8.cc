#include "plugin/utf8.h"

#include <cstdint>
#include <cstring>

namespace gateway::plugin {
namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 if it is invalid there.
size_t validSequenceAt(std::string_view s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  const uint8_t b0 = byte(i);
  const size_t left = s.size() - i;
  const auto cont = [&](size_t k) { return k < left && (byte(i + k) & 0xC0) == 0x80; };
  if (b0 < 0x80) {
    return 1;
  }
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    return cont(1) ? 2 : 0;
  }
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    if (!cont(1) || !cont(2)) {
      return 0;
    }
    const uint8_t b1 = byte(i + 1);
    if ((b0 == 0xE0 && b1 < 0xA0) || (b0 == 0xED && b1 > 0x9F)) {
      return 0;  // Overlong, or a UTF-16 surrogate.
    }
    return 3;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) {
      return 0;
    }
    const uint8_t b1 = byte(i + 1);
    if ((b0 == 0xF0 && b1 < 0x90) || (b0 == 0xF4 && b1 > 0x8F)) {
      return 0;  // Overlong, or above U+10FFFF.
    }
    return 4;
  }
  return 0;
}

bool isAscii(std::string_view s) {
  uint64_t acc = 0;
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    acc |= w;
  }
  for (; i < s.size(); ++i) {
    acc |= static_cast<uint8_t>(s[i]);
  }
  return (acc & 0x8080808080808080ull) == 0;
}

} // namespace

bool isValidUtf8(std::string_view s) {
  if (isAscii(s)) {
    return true;
  }
  for (size_t i = 0; i < s.size();) {
    const size_t n = validSequenceAt(s, i);
    if (n == 0) {
      return false;
    }
    i += n;
  }
  return true;
}

std::string toValidUtf8(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 8);
  for (size_t i = 0; i < s.size();) {
    const size_t n = validSequenceAt(s, i);
    if (n > 0) {
      out.append(s.substr(i, n));
      i += n;
      continue;
    }
    out.append("\xEF\xBF\xBD");  // U+FFFD for this byte.
    ++i;
  }
  return out;
}

} // namespace gateway::plugin
