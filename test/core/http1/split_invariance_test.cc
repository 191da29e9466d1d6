// The decoders must not care how bytes are split: for every wire and every two-way split, the
// outcome (events, body, status, consumed total) equals the one-buffer outcome.

#include <catch2/catch.hpp>

#include "core/http1/recording_callbacks.h"
#include "gateway/http1/codec.h"

using namespace gateway;
using namespace gateway::http1;
using gateway::http1::test::RecordingRequestCallbacks;

namespace {

struct Outcome {
  DecodeStatus last{DecodeStatus::Ok};
  int errorStatus{0};
  size_t consumedTotal{0};
  size_t heads{0};
  std::string body;
  int completes{0};
  std::string firstHeadSummary;

  bool operator==(const Outcome& o) const {
    if (last != o.last || errorStatus != o.errorStatus || heads != o.heads) {
      return false;
    }
    // On Error, `consumed` is only where the parser stopped, and body bytes before the bad
    // byte may or may not have been delivered: the caller aborts the message anyway.
    return last == DecodeStatus::Error ||
           (consumedTotal == o.consumedTotal && body == o.body && completes == o.completes &&
            firstHeadSummary == o.firstHeadSummary);
  }
};

std::string summarize(const http::RequestHead& h) {
  std::string s = h.method + " " + h.target() + " " + std::to_string(h.versionMinor) + " " +
                  std::to_string(static_cast<int>(h.framing)) + " " + std::to_string(h.keepAlive);
  for (const auto& f : h.headers) {
    s += "|" + f.name + "=" + f.value;
  }
  return s;
}

// Decodes `pieces` in order, resuming after each MessageComplete and re-feeding the rest.
Outcome run(const std::vector<std::string_view>& pieces) {
  RecordingRequestCallbacks cb;
  auto d = createRequestDecoder(cb, DecoderLimits{});
  Outcome o;
  for (std::string_view piece : pieces) {
    while (true) {
      DecodeResult r = d->decode(piece);
      o.consumedTotal += r.consumed;
      o.last = r.status;
      o.errorStatus = r.errorStatus;
      if (r.status == DecodeStatus::MessageComplete) {
        d->resume();
        piece.remove_prefix(r.consumed);
        if (piece.empty()) {
          break;
        }
        continue;
      }
      break;
    }
    if (o.last == DecodeStatus::Error || o.last == DecodeStatus::Upgrade) {
      break;
    }
  }
  o.heads = cb.heads.size();
  o.body = cb.body;
  o.completes = cb.completes;
  if (!cb.heads.empty()) {
    o.firstHeadSummary = summarize(cb.heads[0]);
  }
  return o;
}

} // namespace

TEST_CASE("request decoder is split-invariant", "[http1][split]") {
  const std::string wires[] = {
      "GET /a?b HTTP/1.1\r\nHost: h\r\nX-A:  spaced value \r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3;e=1\r\nabc\r\n2\r\nde\r\n0\r\nT: v\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nabcdGET / HTTP/1.0\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: h\r\nX-A: a\r\n b\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: h\r\nX-A:\r\n\tb\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXY0\r\n\r\n",
      "GET / HTTP/1.1\r\nHost : h\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\nraw bytes",
      "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
  };
  for (const auto& wire : wires) {
    Outcome whole = run({wire});
    for (size_t cut = 1; cut < wire.size(); ++cut) {
      std::string_view w(wire);
      Outcome split = run({w.substr(0, cut), w.substr(cut)});
      INFO("wire: " << wire << "\ncut at " << cut << "\nwhole: " << int(whole.last) << " "
                     << whole.errorStatus << " " << whole.consumedTotal << " " << whole.heads
                     << "\nsplit: " << int(split.last) << " " << split.errorStatus << " "
                     << split.consumedTotal << " " << split.heads);
      REQUIRE(split == whole);
    }
  }
}
