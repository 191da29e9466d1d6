#pragma once

// Fake peers for the HTTP/1 decoders: record every event so tests can assert on them, plus
// helpers that feed a string whole, byte by byte, or through pipelining/resume loops.

#include <string>
#include <string_view>
#include <vector>

#include "gateway/http1/codec.h"

namespace gateway::http1::test {

struct RecordingRequestCallbacks : RequestDecoderCallbacks {
  void onRequestHead(http::RequestHead&& head) override { heads.push_back(std::move(head)); }
  void onRequestBody(std::string_view data) override {
    body.append(data);
    ++bodyPieces;
  }
  void onRequestComplete() override { ++completes; }

  std::vector<http::RequestHead> heads;
  std::string body;
  int bodyPieces{0};
  int completes{0};
};

struct RecordingResponseCallbacks : ResponseDecoderCallbacks {
  void onInformational(http::ResponseHead&& head) override { informational.push_back(std::move(head)); }
  void onResponseHead(http::ResponseHead&& head) override { heads.push_back(std::move(head)); }
  void onResponseBody(std::string_view data) override { body.append(data); }
  void onResponseComplete() override { ++completes; }

  std::vector<http::ResponseHead> informational;
  std::vector<http::ResponseHead> heads;
  std::string body;
  int completes{0};
};

// Feeds `wire` one byte per decode() call, resuming after each MessageComplete. Returns the
// first non-Ok, non-MessageComplete result (or the last result).
template <typename Decoder> DecodeResult feedBytewise(Decoder& d, std::string_view wire) {
  DecodeResult last;
  for (size_t i = 0; i < wire.size(); ++i) {
    last = d.decode(wire.substr(i, 1));
    if (last.status == DecodeStatus::MessageComplete) {
      d.resume();
      continue;
    }
    if (last.status != DecodeStatus::Ok) {
      return last;
    }
  }
  return last;
}

// Feeds `wire` in one buffer, resuming after each MessageComplete until all is consumed.
// Returns the last result.
template <typename Decoder> DecodeResult feedAll(Decoder& d, std::string_view wire) {
  DecodeResult r;
  while (true) {
    r = d.decode(wire);
    if (r.status != DecodeStatus::MessageComplete) {
      return r;
    }
    wire.remove_prefix(r.consumed);
    d.resume();
    if (wire.empty()) {
      return r;
    }
  }
}

} // namespace gateway::http1::test
