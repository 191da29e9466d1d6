#pragma once

// Appends protobuf wire format to a std::string, for messages gantry encodes by hand
// (snapshot_encoder.h). Proto3 rules: scalar fields equal to their default are not written
// (the *IfSet helpers); sub-messages are written when begun, even if empty (their presence is
// visible to the reader). Lengths of sub-messages are not known up front: begin() reserves the
// length's likely size and end() writes the canonical varint, moving the body if the guess was
// wrong. Varints come from protobuf's own CodedOutputStream helpers. Not a parser; pure; no
// allocation beyond the string's growth.

#include <cstdint>
#include <string>
#include <string_view>

namespace gateway::plugin::wire {

class Writer {
public:
  explicit Writer(std::string& out) : out_(out) {}

  void varint(uint64_t v) {
    if (v < 0x80) {
      out_.push_back(static_cast<char>(v));  // Tags and short lengths: the common case.
      return;
    }
    longVarint(v);
  }
  void tag(uint32_t field, uint32_t wireType) { varint((uint64_t{field} << 3) | wireType); }

  void uint64Field(uint32_t field, uint64_t v) {
    if (v != 0) {
      tag(field, kVarint);
      varint(v);
    }
  }
  // int32/int64 fields: negative values are ten-byte varints (two's complement), as protobuf
  // writes them.
  void int64Field(uint32_t field, int64_t v) { uint64Field(field, static_cast<uint64_t>(v)); }
  void boolField(uint32_t field, bool v) { uint64Field(field, v ? 1 : 0); }
  // A string or bytes field, written if not empty (the caller guarantees UTF-8 for strings).
  void bytesField(uint32_t field, std::string_view v) {
    if (!v.empty()) {
      bytesFieldAlways(field, v);
    }
  }
  // The same, written even if empty (an element of a repeated field, a map entry's value).
  void bytesFieldAlways(uint32_t field, std::string_view v);

  // A length-delimited field whose body follows; returns the mark to pass to end().
  // `lengthGuess` is the byte count reserved for the length (1: body < 128 bytes, 2: < 16 KiB).
  struct Mark {
    size_t bodyStart;
    size_t reserved;
  };
  Mark begin(uint32_t field, size_t lengthGuess = 1);
  void end(Mark mark);

  static constexpr uint32_t kVarint = 0;
  static constexpr uint32_t kLen = 2;

private:
  void longVarint(uint64_t v);

  std::string& out_;
};

} // namespace gateway::plugin::wire
