// libFuzzer target for the HTTP/1 request decoder. Besides "no crash, no sanitizer report",
// it checks two invariants: feeding the input split in two gives the same verdict as feeding
// it whole, and consumed never exceeds what was given.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "gateway/http1/codec.h"

namespace {

using namespace gateway;
using namespace gateway::http1;

struct NullCallbacks : RequestDecoderCallbacks {
  void onRequestHead(http::RequestHead&& head) override { ++heads; }
  void onRequestBody(std::string_view data) override { bodyBytes += data.size(); }
  void onRequestComplete() override { ++completes; }
  int heads{0};
  size_t bodyBytes{0};
  int completes{0};
};

struct Verdict {
  DecodeStatus status{DecodeStatus::Ok};
  int errorStatus{0};
  int heads{0};
};

Verdict run(std::string_view a, std::string_view b) {
  NullCallbacks cb;
  DecoderLimits limits;
  limits.maxRequestLineBytes = 256;
  limits.maxHeaderBytes = 1024;
  limits.maxHeaderCount = 16;
  auto d = createRequestDecoder(cb, limits);
  Verdict v;
  for (std::string_view piece : {a, b}) {
    while (!piece.empty()) {
      DecodeResult r = d->decode(piece);
      if (r.consumed > piece.size()) {
        std::abort();
      }
      v.status = r.status;
      v.errorStatus = r.errorStatus;
      if (r.status != DecodeStatus::MessageComplete) {
        break;
      }
      d->resume();
      piece.remove_prefix(r.consumed);
    }
    if (v.status == DecodeStatus::Error || v.status == DecodeStatus::Upgrade) {
      break;
    }
  }
  v.heads = cb.heads;
  return v;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) {
    return 0;
  }
  // First byte chooses the split point.
  size_t cut = data[0] % size;
  std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  cut = cut > input.size() ? input.size() : cut;
  Verdict whole = run(input, {});
  Verdict split = run(input.substr(0, cut), input.substr(cut));
  if (whole.status != split.status || whole.errorStatus != split.errorStatus ||
      whole.heads != split.heads) {
    std::abort();
  }
  return 0;
}
