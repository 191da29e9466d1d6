#include "http1/parser_base.h"

#include <algorithm>

#include "http1/syntax.h"

namespace gateway::http1 {

namespace {

// Chunk extensions are legal but nobody needs kilobytes of them per chunk.
constexpr size_t kMaxChunkExtensionBytes = 4096;

ParserBase& self(llhttp_t* p) { return *static_cast<ParserBase*>(p->data); }

llhttp_settings_t makeSettings() {
  llhttp_settings_t s;
  llhttp_settings_init(&s);
  s.on_message_begin = [](llhttp_t* p) { return self(p).cbMessageBegin(); };
  s.on_url = [](llhttp_t* p, const char* at, size_t n) { return self(p).cbUrl(at, n); };
  s.on_url_complete = [](llhttp_t* p) { return self(p).cbUrlComplete(); };
  s.on_status = [](llhttp_t* p, const char* at, size_t n) { return self(p).cbStatus(at, n); };
  s.on_status_complete = [](llhttp_t* p) { return self(p).cbStatusComplete(); };
  s.on_method_complete = [](llhttp_t* p) { return self(p).cbMethodComplete(); };
  s.on_version_complete = [](llhttp_t* p) { return self(p).cbVersionComplete(); };
  s.on_header_field = [](llhttp_t* p, const char* at, size_t n) {
    return self(p).cbHeaderField(at, n);
  };
  s.on_header_field_complete = [](llhttp_t* p) { return self(p).cbHeaderFieldComplete(); };
  s.on_header_value = [](llhttp_t* p, const char* at, size_t n) {
    return self(p).cbHeaderValue(at, n);
  };
  s.on_header_value_complete = [](llhttp_t* p) { return self(p).cbHeaderValueComplete(); };
  s.on_headers_complete = [](llhttp_t* p) { return self(p).cbHeadersComplete(); };
  s.on_chunk_header = [](llhttp_t* p) { return self(p).cbChunkHeader(); };
  s.on_chunk_extension_name = [](llhttp_t* p, const char* at, size_t n) {
    return self(p).cbChunkExtension(at, n);
  };
  s.on_chunk_extension_value = [](llhttp_t* p, const char* at, size_t n) {
    return self(p).cbChunkExtension(at, n);
  };
  s.on_body = [](llhttp_t* p, const char* at, size_t n) { return self(p).cbBody(at, n); };
  s.on_message_complete = [](llhttp_t* p) { return self(p).cbMessageComplete(); };
  return s;
}

// One table for every parser in the process (llhttp keeps a pointer to it).
const llhttp_settings_t kSettings = makeSettings();

} // namespace

ParserBase::ParserBase(llhttp_type_t type, const DecoderLimits& limits, ErrorStatuses statuses)
    : limits_(limits), statuses_(statuses) {
  // Lenient flags stay off (llhttp's default): TE+CL, bad TE and keep-alive quirks are errors.
  llhttp_init(&parser_, type, &kSettings);
  parser_.data = this;
  url_.reserve(128);
  name_.reserve(32);
  value_.reserve(128);
}

int ParserBase::fail(int status, const char* reason) {
  if (failStatus_ == 0) {
    failStatus_ = status;
    failReason_ = reason;
  }
  llhttp_set_error_reason(&parser_, reason);
  return HPE_USER;
}

int ParserBase::cbMessageBegin() {
  inMessage_ = true;
  inTrailers_ = false;
  headerBytes_ = 0;
  headerCount_ = 0;
  chunkRemaining_ = 0;
  chunkExtBytes_ = 0;
  crlfNeeded_ = 0;
  url_.clear();
  name_.clear();
  value_.clear();
  return onMessageBegin();
}

int ParserBase::cbUrl(const char* at, size_t len) {
  if (url_.size() + len > limits_.maxRequestLineBytes) {
    return fail(statuses_.targetTooLong, "request target too long");
  }
  url_.append(at, len);
  return 0;
}

int ParserBase::cbUrlComplete() { return onTarget(url_); }

int ParserBase::cbStatus(const char* at, size_t len) {
  if (url_.size() + len > limits_.maxRequestLineBytes) {
    return fail(statuses_.targetTooLong, "status line too long");
  }
  url_.append(at, len);
  return 0;
}

int ParserBase::cbStatusComplete() { return onStatusLine(parser_.status_code, url_); }

int ParserBase::cbMethodComplete() { return onMethod(); }

int ParserBase::cbVersionComplete() { return onVersion(parser_.http_major, parser_.http_minor); }

int ParserBase::cbHeaderField(const char* at, size_t len) {
  headerBytes_ += len;
  if (headerBytes_ > limits_.maxHeaderBytes) {
    return fail(statuses_.headersTooLarge, "header section too large");
  }
  for (size_t i = 0; i < len; ++i) {
    unsigned char c = static_cast<unsigned char>(at[i]);
    if (!syntax::isTokenChar(c)) {
      return failMalformed(syntax::isOws(static_cast<char>(c))
                               ? "whitespace between header name and colon"
                               : "invalid character in header name");
    }
  }
  name_.append(at, len);
  return 0;
}

int ParserBase::cbHeaderFieldComplete() {
  if (name_.empty()) {
    return failMalformed("empty header name");
  }
  if (++headerCount_ > limits_.maxHeaderCount) {
    return fail(statuses_.headersTooLarge, "too many header fields");
  }
  return inTrailers_ ? 0 : onHeaderName(name_);
}

bool ParserBase::valueFollowsLineFeed(const char* at) const {
  // llhttp drops the CRLF of an obs-fold and reports the continuation as more value bytes.
  // A legitimate value span follows ':' or value bytes (possibly with OWS between), never LF.
  const char* p = at;
  while (p > bufBegin_) {
    --p;
    if (!syntax::isOws(*p)) {
      return *p == '\n';
    }
  }
  return tailNonOws_ == '\n';
}

int ParserBase::cbHeaderValue(const char* at, size_t len) {
  headerBytes_ += len;
  if (headerBytes_ > limits_.maxHeaderBytes) {
    return fail(statuses_.headersTooLarge, "header section too large");
  }
  if (valueFollowsLineFeed(at)) {
    return failMalformed("obs-fold (line folding) in header field");
  }
  for (size_t i = 0; i < len; ++i) {
    unsigned char c = static_cast<unsigned char>(at[i]);
    if (syntax::isForbiddenValueChar(c)) {
      return failMalformed(c == 0                      ? "NUL in header value"
                           : (c == '\r' || c == '\n') ? "CR or LF in header value"
                                                       : "control character in header value");
    }
  }
  value_.append(at, len);
  return 0;
}

int ParserBase::cbHeaderValueComplete() {
  int rc = inTrailers_ ? 0 : onHeader(name_, syntax::trimOws(value_));
  name_.clear();
  value_.clear();
  return rc;
}

int ParserBase::cbHeadersComplete() {
  int rc = onHeadersComplete();
  // Anything header-like after this point is a trailer section with its own budget.
  inTrailers_ = true;
  headerBytes_ = 0;
  headerCount_ = 0;
  return rc;
}

int ParserBase::cbChunkHeader() {
  // Called at the end of the chunk-size line; extensions were counted before it.
  chunkRemaining_ = parser_.content_length;
  chunkExtBytes_ = 0;
  return 0;
}

int ParserBase::cbChunkExtension(const char* at, size_t len) {
  chunkExtBytes_ += len;
  if (chunkExtBytes_ > kMaxChunkExtensionBytes) {
    return failMalformed("chunk extensions too long");
  }
  return 0;
}

bool ParserBase::checkCrlf(const char* p, const char* end) {
  while (crlfNeeded_ > 0 && p < end) {
    char want = crlfNeeded_ == 2 ? '\r' : '\n';
    if (*p != want) {
      return false;
    }
    ++p;
    --crlfNeeded_;
  }
  return true;
}

int ParserBase::cbBody(const char* at, size_t len) {
  if (parser_.flags & F_CHUNKED) {
    chunkRemaining_ -= std::min(chunkRemaining_, len);
    if (chunkRemaining_ == 0) {
      crlfNeeded_ = 2;
      if (!checkCrlf(at + len, bufEnd_)) {
        return failMalformed("chunk data not followed by CRLF");
      }
    }
  }
  onBody(std::string_view(at, len));
  return 0;
}

int ParserBase::cbMessageComplete() {
  inMessage_ = false;
  return onMessageComplete();
}

void ParserBase::rememberTail(const char* begin, const char* end) {
  while (end > begin) {
    --end;
    if (!syntax::isOws(*end)) {
      tailNonOws_ = *end;
      return;
    }
  }
}

DecodeResult ParserBase::errorResult(int status, std::string reason, size_t consumed) {
  done_ = true;
  final_ = DecodeResult{DecodeStatus::Error, consumed, status, std::move(reason)};
  return final_;
}

DecodeResult ParserBase::execute(std::string_view data) {
  if (done_) {
    return final_;
  }
  if (paused_) {
    return DecodeResult{DecodeStatus::Error, 0, 500, "decode() called before resume()"};
  }
  bufBegin_ = data.data();
  bufEnd_ = data.data() + data.size();
  if (crlfNeeded_ > 0 && !checkCrlf(bufBegin_, bufEnd_)) {
    return errorResult(statuses_.malformed, "chunk data not followed by CRLF", 0);
  }
  llhttp_errno_t err = llhttp_execute(&parser_, data.data(), data.size());
  size_t consumed = data.size();
  if (err != HPE_OK) {
    const char* pos = llhttp_get_error_pos(&parser_);
    if (pos != nullptr && pos >= bufBegin_ && pos <= bufEnd_) {
      consumed = static_cast<size_t>(pos - bufBegin_);
    }
  }
  rememberTail(bufBegin_, bufBegin_ + consumed);
  bufBegin_ = bufEnd_ = nullptr;

  if (failStatus_ != 0) {
    return errorResult(failStatus_, failReason_, consumed);
  }
  switch (err) {
  case HPE_OK:
    return DecodeResult{DecodeStatus::Ok, consumed, 0, {}};
  case HPE_PAUSED:
    paused_ = true;
    return DecodeResult{DecodeStatus::MessageComplete, consumed, 0, {}};
  case HPE_PAUSED_UPGRADE: {
    done_ = true;
    final_ = DecodeResult{DecodeStatus::Error, 0, 500, "decode() called after Upgrade"};
    return DecodeResult{DecodeStatus::Upgrade, consumed, 0, {}};
  }
  case HPE_PAUSED_H2_UPGRADE:
    return errorResult(statuses_.malformed, "HTTP/2 connection preface on an HTTP/1.x connection",
                       consumed);
  default: {
    std::string reason = llhttp_errno_name(err);
    const char* detail = llhttp_get_error_reason(&parser_);
    if (detail != nullptr && *detail != '\0') {
      reason.append(": ").append(detail);
    }
    return errorResult(statuses_.malformed, std::move(reason), consumed);
  }
  }
}

void ParserBase::resumeParser() {
  if (paused_) {
    paused_ = false;
    llhttp_resume(&parser_);
  }
}

DecodeResult ParserBase::finishParser(const char* truncatedReason) {
  if (done_ || paused_ || !inMessage_) {
    // Nothing was cut short. (After resume() llhttp itself still reports an unsafe EOF until
    // it sees the next byte, so we go by our own message tracking.)
    return DecodeResult{};
  }
  llhttp_errno_t err = llhttp_finish(&parser_);
  if (failStatus_ != 0) {
    return errorResult(failStatus_, failReason_, 0);
  }
  if (err == HPE_PAUSED) {
    // A body delimited by the close just ended (onMessageComplete ran).
    paused_ = true;
    return DecodeResult{DecodeStatus::MessageComplete, 0, 0, {}};
  }
  if (err != HPE_OK) {
    return errorResult(statuses_.malformed, truncatedReason, 0);
  }
  return DecodeResult{};
}

} // namespace gateway::http1
