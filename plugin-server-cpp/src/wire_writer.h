#pragma once

// Appends protobuf wire format to a std::string: varint, string/bytes and nested message fields,
// in the encoding protobuf's own serializer produces (so the output can be compared byte for
// byte). A nested message is opened with begin() and closed with end(): its length is written in
// front of it when it is known (one byte reserved; the content moves when it needs more).

#include <cstdint>
#include <string>
#include <string_view>

#include <google/protobuf/io/coded_stream.h>

namespace gantry_pdk::detail {

class WireWriter {
public:
  // `out` is appended to; it must outlive the writer.
  explicit WireWriter(std::string& out) : out_(out) {}

  void varint(uint64_t v) {
    uint8_t buf[10];
    const uint8_t* end = google::protobuf::io::CodedOutputStream::WriteVarint64ToArray(v, buf);
    out_.append(reinterpret_cast<const char*>(buf), static_cast<size_t>(end - buf));
  }

  // Varint fields (uint32, uint64, bool, enum); int32 sign-extends as protobuf does. Skipped when
  // zero unless `always` (a member of a oneof is written even when it holds the default).
  void uint64Field(uint32_t field, uint64_t v, bool always = false) {
    if (v != 0 || always) {
      tag(field, 0);
      varint(v);
    }
  }
  void int32Field(uint32_t field, int32_t v, bool always = false) {
    uint64Field(field, static_cast<uint64_t>(static_cast<int64_t>(v)), always);
  }

  // A string or bytes field; skipped when empty unless `always`.
  void bytesField(uint32_t field, std::string_view v, bool always = false) {
    if (!v.empty() || always) {
      tag(field, 2);
      varint(v.size());
      out_.append(v);
    }
  }

  // Opens a message field; returns the mark to pass to end().
  size_t begin(uint32_t field) {
    tag(field, 2);
    out_.push_back('\0');  // The length, if it fits one byte.
    return out_.size();
  }
  void end(size_t mark) {
    const size_t n = out_.size() - mark;
    if (n < 0x80) {
      out_[mark - 1] = static_cast<char>(n);
      return;
    }
    uint8_t length[10];
    const uint8_t* end =
        google::protobuf::io::CodedOutputStream::WriteVarint64ToArray(n, length);
    out_.replace(mark - 1, 1, reinterpret_cast<const char*>(length),
                 static_cast<size_t>(end - length));  // Moves the content by the extra bytes.
  }

private:
  void tag(uint32_t field, int wireType) { varint((uint64_t{field} << 3) | wireType); }

  std::string& out_;
};

}  // namespace gantry_pdk::detail
