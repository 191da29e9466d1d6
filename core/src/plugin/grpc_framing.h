#pragma once

// gRPC's message framing on an HTTP/2 stream (gRPC over HTTP/2, "Length-Prefixed-Message"):
// each message is a 1-byte compressed flag, a 4-byte big-endian length and the serialized
// message. Pure functions and one incremental decoder; no I/O, no gRPC library.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "gateway/common/status.h"

namespace gateway::plugin {

constexpr size_t kGrpcFrameHeaderSize = 5;

// Writes the 5-byte prefix of an uncompressed message of `length` bytes to `out`.
void appendGrpcFrameHeader(std::string& out, uint32_t length);

// Reassembles messages from DATA payload pieces. feed() appends; next() yields one complete
// message at a time. Untrusted input: a compressed message (gantry never offers compression) or
// one longer than the limit is an error, after which the decoder stays failed.
class GrpcFrameDecoder {
public:
  explicit GrpcFrameDecoder(size_t maxMessageBytes) : max_(maxMessageBytes) {}

  void feed(std::string_view data) { buffer_.append(data.data(), data.size()); }
  // Sets *message to the next complete message (a view into the decoder, valid until the next
  // feed() or next()) and returns true; false when no complete message is buffered (or on
  // error: check status()).
  bool next(std::string_view* message);
  const Status& status() const { return status_; }
  // Bytes of an incomplete message still buffered (a stream that ends here was cut short).
  size_t pendingBytes() const { return buffer_.size() - consumed_; }

private:
  size_t max_;
  std::string buffer_;
  size_t consumed_{0};
  Status status_;
};

// grpc-message trailers are percent-encoded (every byte outside 0x20-0x7E except '%' itself);
// decodes them, leaving malformed escapes as they are.
std::string decodeGrpcMessage(std::string_view encoded);

} // namespace gateway::plugin
