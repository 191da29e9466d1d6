#pragma once

// Reads protobuf wire format from a byte range: tags, varints, fixed and length-delimited fields.
// Every read returns false on malformed or truncated input (and the reader is then in error; the
// caller stops). Used by the hand-written EventBatch decoder (event_decoder.cc).

#include <cstdint>
#include <cstring>
#include <string_view>

namespace gantry_pdk::detail {

class WireReader {
public:
  enum WireType { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

  explicit WireReader(std::string_view bytes)
      : p_(bytes.data()), end_(bytes.data() + bytes.size()) {}

  bool done() const { return p_ == end_; }

  // The next field's number and wire type; false at a malformed tag (field 0, groups).
  bool tag(uint32_t& field, int& wireType) {
    uint64_t t = 0;
    if (!varint(t) || t > 0xffffffffu) {
      return false;
    }
    field = static_cast<uint32_t>(t >> 3);
    wireType = static_cast<int>(t & 7);
    return field != 0;
  }

  bool varint(uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ == end_) {
        return false;
      }
      const auto b = static_cast<uint8_t>(*p_++);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (b < 0x80) {
        return true;
      }
    }
    return false;
  }

  bool bytes(std::string_view& v) {
    uint64_t n = 0;
    if (!varint(n) || n > static_cast<uint64_t>(end_ - p_)) {
      return false;
    }
    v = std::string_view(p_, static_cast<size_t>(n));
    p_ += n;
    return true;
  }

  // Skips a field of `wireType` (its tag already read).
  bool skip(int wireType) {
    uint64_t v = 0;
    std::string_view s;
    switch (wireType) {
    case kVarint: return varint(v);
    case kFixed64: return advance(8);
    case kLengthDelimited: return bytes(s);
    case kFixed32: return advance(4);
    default: return false;  // Groups (3, 4) are not used by the protocol; 6, 7 are invalid.
    }
  }

private:
  bool advance(size_t n) {
    if (n > static_cast<size_t>(end_ - p_)) {
      return false;
    }
    p_ += n;
    return true;
  }

  const char* p_;
  const char* end_;
};

}  // namespace gantry_pdk::detail
