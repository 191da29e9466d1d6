#pragma once

// ParserBase: the llhttp driver shared by the request and response decoders. It owns the
// llhttp_t, accumulates header names/values (reusing two buffers, no per-byte allocation),
// enforces DecoderLimits incrementally, and adds the checks llhttp 8.1 (non-strict build)
// does not do itself:
//   * obs-fold: llhttp silently joins continuation lines; we look at the byte before each
//     value span (skipping OWS) and reject if it is a line feed;
//   * whitespace before ':' and empty header names (llhttp keeps them in the name span);
//   * control characters in values (defence in depth; llhttp also rejects most);
//   * the CRLF after chunk data (llhttp 8.1 skips two bytes without looking at them);
//   * chunk extension length (llhttp does not buffer them, but they cost bandwidth).
// Subclasses (one per direction) receive the parsed pieces through the hooks below and
// build their head. Everything here is single-threaded and never throws.

#include <llhttp.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "gateway/http1/codec.h"

namespace gateway::http1 {

class ParserBase {
public:
  ParserBase(const ParserBase&) = delete;
  ParserBase& operator=(const ParserBase&) = delete;

  // llhttp callbacks land here (see parser_base.cc for the static settings table).
  int cbMessageBegin();
  int cbUrl(const char* at, size_t len);
  int cbUrlComplete();
  int cbStatus(const char* at, size_t len);
  int cbStatusComplete();
  int cbMethodComplete();
  int cbVersionComplete();
  int cbHeaderField(const char* at, size_t len);
  int cbHeaderFieldComplete();
  int cbHeaderValue(const char* at, size_t len);
  int cbHeaderValueComplete();
  int cbHeadersComplete();
  int cbChunkHeader();
  int cbChunkExtension(const char* at, size_t len);
  int cbBody(const char* at, size_t len);
  int cbMessageComplete();

protected:
  // The statuses a decoder answers with: requests use 400/414/431, responses 502 for all.
  struct ErrorStatuses {
    int malformed;
    int targetTooLong;
    int headersTooLarge;
  };

  ParserBase(llhttp_type_t type, const DecoderLimits& limits, ErrorStatuses statuses);
  virtual ~ParserBase() = default;

  // Runs llhttp over `data` and maps the outcome to a DecodeResult.
  DecodeResult execute(std::string_view data);
  // Leaves the MessageComplete pause.
  void resumeParser();
  // Handles end of input; maps llhttp_finish().
  DecodeResult finishParser(const char* truncatedReason);
  bool inMessage() const { return inMessage_; }

  // Records an error and returns the value that makes llhttp stop (HPE_USER). Call from hooks
  // as `return fail(...)`.
  int fail(int status, const char* reason);
  int failMalformed(const char* reason) { return fail(statuses_.malformed, reason); }

  // Hooks; the defaults do nothing. Return 0 to continue, or fail(...).
  virtual int onMessageBegin() = 0;
  virtual int onTarget(std::string_view rawTarget) { return 0; }  // Requests; size-checked.
  virtual int onStatusLine(int status, std::string_view reason) { return 0; }  // Responses.
  virtual int onMethod() { return 0; }
  virtual int onVersion(int major, int minor) = 0;
  // A header name ended (validated as a token). Not called for trailers.
  virtual int onHeaderName(std::string_view name) { return 0; }
  // A header field ended; value is OWS-trimmed and free of control characters.
  virtual int onHeader(std::string_view name, std::string_view value) = 0;
  // Returns 0 (body per framing), 1 (no body), 2 (no body, then HPE_PAUSED_UPGRADE) or fail().
  virtual int onHeadersComplete() = 0;
  virtual void onBody(std::string_view data) = 0;
  // Returns HPE_PAUSED to stop after this message, 0 to keep parsing.
  virtual int onMessageComplete() = 0;

  llhttp_t parser_;
  const DecoderLimits limits_;

private:
  bool valueFollowsLineFeed(const char* at) const;
  void rememberTail(const char* begin, const char* end);
  bool checkCrlf(const char* p, const char* end);
  DecodeResult errorResult(int status, std::string reason, size_t consumed);

  const ErrorStatuses statuses_;
  std::string url_;       // Request target or response reason, accumulated across calls.
  std::string name_;      // Current header name.
  std::string value_;     // Current header value.
  size_t headerBytes_{0};
  size_t headerCount_{0};
  size_t chunkRemaining_{0};  // Bytes of the current chunk's data not yet seen.
  size_t chunkExtBytes_{0};
  int crlfNeeded_{0};        // Bytes of the CRLF after chunk data still to verify (0..2).
  bool inMessage_{false};
  bool inTrailers_{false};
  bool paused_{false};
  bool done_{false};          // After Upgrade or Error: no more input is accepted.
  char tailNonOws_{0};       // Last non-OWS byte of earlier input (for obs-fold detection).
  const char* bufBegin_{nullptr};
  const char* bufEnd_{nullptr};
  int failStatus_{0};
  const char* failReason_{nullptr};
  DecodeResult final_;        // Repeated after Upgrade or Error.
};

} // namespace gateway::http1
