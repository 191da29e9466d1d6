#include "plugin/grpc_framing.h"

namespace gateway::plugin {

void appendGrpcFrameHeader(std::string& out, uint32_t length) {
  const char header[kGrpcFrameHeaderSize] = {
      0, static_cast<char>(length >> 24), static_cast<char>(length >> 16),
      static_cast<char>(length >> 8), static_cast<char>(length)};
  out.append(header, sizeof(header));
}

bool GrpcFrameDecoder::next(std::string_view* message) {
  if (!status_) {
    return false;
  }
  if (consumed_ > 0 && consumed_ == buffer_.size()) {
    buffer_.clear();
    consumed_ = 0;
  } else if (consumed_ > 64 * 1024 && consumed_ * 2 > buffer_.size()) {
    buffer_.erase(0, consumed_);  // Keep the buffer from growing with a never-empty tail.
    consumed_ = 0;
  }
  const size_t available = buffer_.size() - consumed_;
  if (available < kGrpcFrameHeaderSize) {
    return false;
  }
  const auto* p = reinterpret_cast<const unsigned char*>(buffer_.data() + consumed_);
  if (p[0] != 0) {
    status_ = invalidArgument("compressed gRPC message (compression was not negotiated)");
    return false;
  }
  const size_t length = (size_t{p[1]} << 24) | (size_t{p[2]} << 16) | (size_t{p[3]} << 8) | p[4];
  if (length > max_) {
    status_ = invalidArgument("gRPC message of " + std::to_string(length) +
                              " bytes exceeds the limit of " + std::to_string(max_));
    return false;
  }
  if (available - kGrpcFrameHeaderSize < length) {
    return false;
  }
  *message = std::string_view(buffer_).substr(consumed_ + kGrpcFrameHeaderSize, length);
  consumed_ += kGrpcFrameHeaderSize + length;
  return true;
}

namespace {
int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
} // namespace

std::string decodeGrpcMessage(std::string_view encoded) {
  std::string out;
  out.reserve(encoded.size());
  for (size_t i = 0; i < encoded.size(); ++i) {
    if (encoded[i] == '%' && i + 2 < encoded.size()) {
      const int hi = hexValue(encoded[i + 1]);
      const int lo = hexValue(encoded[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(encoded[i]);
  }
  return out;
}

} // namespace gateway::plugin
