#include "http1/request_decoder_impl.h"

// Choices for requests (all answered with the status shown, and the connection closes):
//   CONNECT                                     405 (Gantry does not tunnel CONNECT)
//   Transfer-Encoding + Content-Length          400
//   Content-Length twice (even identical)       400 (like nginx; no merging)
//   Content-Length not 1*DIGIT / > 19 digits    400
//   Transfer-Encoding in HTTP/1.0               400
//   Transfer-Encoding: chunked not final,
//     chunked twice, malformed coding           400 (RFC 9112 6.3)
//   Transfer-Encoding: <other>, chunked         501 (a coding we do not implement, RFC 9112 6.1)
//   obs-fold, CR/LF/NUL/CTL in a value,
//   space before ':', bad name characters       400
//   HTTP/1.1 without Host, Host twice           400
//   absolute-form "http(s)://authority/p?q"     accepted: path/query from the target and the
//                                               Host header replaced by the authority
//                                               (RFC 9112 3.2.2); userinfo or empty host: 400
//   "*" target on a method other than OPTIONS   400; '#' anywhere in the target: 400
//   HTTP version other than 1.0 / 1.1           505
//   target > maxRequestLineBytes                414
//   header bytes/count over the limit           431 (trailers get a fresh budget; dropped)

#include "gateway/http/header_map.h"

namespace gateway::http1 {

RequestDecoderImpl::RequestDecoderImpl(RequestDecoderCallbacks& callbacks,
                                       const DecoderLimits& limits)
    : ParserBase(HTTP_REQUEST, limits, ErrorStatuses{400, 414, 431}),
      callbacks_(callbacks) {}

int RequestDecoderImpl::onMessageBegin() {
  head_ = http::RequestHead{};
  authority_.clear();
  te_ = syntax::TransferEncodingState{};
  sawHost_ = false;
  sawContentLength_ = false;
  sawTransferEncoding_ = false;
  return 0;
}

int RequestDecoderImpl::onMethod() {
  if (parser_.method == HTTP_CONNECT) {
    return fail(405, "CONNECT is not supported");
  }
  head_.method = llhttp_method_name(static_cast<llhttp_method_t>(parser_.method));
  return 0;
}

int RequestDecoderImpl::onTarget(std::string_view rawTarget) {
  syntax::Target t;
  if (const char* reason = syntax::splitTarget(rawTarget, t)) {
    return failMalformed(reason);
  }
  if (t.asterisk && parser_.method != HTTP_OPTIONS) {
    return failMalformed("'*' target on a method other than OPTIONS");
  }
  head_.path.assign(t.path);
  head_.rawQuery.assign(t.query);
  head_.hasQuery = t.hasQuery;
  authority_.assign(t.authority);
  return 0;
}

int RequestDecoderImpl::onVersion(int major, int minor) {
  if (major != 1 || minor > 1) {
    return fail(505, "HTTP version not supported");
  }
  head_.versionMajor = major;
  head_.versionMinor = minor;
  return 0;
}

int RequestDecoderImpl::onHeaderName(std::string_view name) {
  // Decided on the name, before llhttp parses the value, so our reason wins over llhttp's.
  if (http::iequals(name, "content-length")) {
    if (sawTransferEncoding_) {
      return failMalformed("Transfer-Encoding together with Content-Length");
    }
    if (sawContentLength_) {
      return failMalformed("multiple Content-Length headers");
    }
    sawContentLength_ = true;
  } else if (http::iequals(name, "transfer-encoding")) {
    if (head_.versionMinor == 0) {
      return failMalformed("Transfer-Encoding in an HTTP/1.0 request");
    }
    if (sawContentLength_) {
      return failMalformed("Transfer-Encoding together with Content-Length");
    }
    sawTransferEncoding_ = true;
  } else if (http::iequals(name, "host")) {
    if (sawHost_) {
      return failMalformed("multiple Host headers");
    }
    sawHost_ = true;
  }
  return 0;
}

int RequestDecoderImpl::onHeader(std::string_view name, std::string_view value) {
  if (sawContentLength_ && http::iequals(name, "content-length")) {
    auto n = syntax::parseContentLength(value);
    if (!n) {
      return failMalformed("Content-Length is not a plain decimal number");
    }
    head_.contentLength = *n;
  } else if (sawTransferEncoding_ && http::iequals(name, "transfer-encoding")) {
    switch (te_.add(value)) {
    case syntax::TransferEncodingState::Error::None:
      break;
    case syntax::TransferEncodingState::Error::ChunkedTwice:
      return failMalformed("Transfer-Encoding applies chunked more than once");
    case syntax::TransferEncodingState::Error::ChunkedNotFinal:
      return failMalformed("Transfer-Encoding: chunked is not the final coding");
    case syntax::TransferEncodingState::Error::BadCoding:
      return failMalformed("malformed Transfer-Encoding");
    }
  } else if (http::iequals(name, "expect")) {
    if (head_.versionMinor >= 1 && http::iequals(value, "100-continue")) {
      head_.expectContinue = true;
    }
  }
  head_.headers.add(std::string(name), std::string(value));
  return 0;
}

int RequestDecoderImpl::onHeadersComplete() {
  if (sawTransferEncoding_) {
    if (!te_.chunkedFinal()) {
      return failMalformed("Transfer-Encoding: final coding is not chunked");
    }
    if (te_.otherCoding()) {
      return fail(501, "unsupported transfer coding (only chunked is implemented)");
    }
    head_.framing = http::BodyFraming::Chunked;
  } else if (sawContentLength_) {
    head_.framing = http::BodyFraming::ContentLength;
  }
  if (!authority_.empty()) {
    head_.headers.set("Host", authority_);
  } else if (!sawHost_ && head_.versionMinor >= 1) {
    return failMalformed("missing Host header");
  }
  head_.keepAlive = llhttp_should_keep_alive(&parser_) != 0;
  head_.upgrade = parser_.upgrade != 0;
  callbacks_.onRequestHead(std::move(head_));
  // 0: llhttp frames the body itself (it agrees with the framing above; TE+CL and bad TE are
  // already rejected). Upgrade requests without a body end here and pause with
  // HPE_PAUSED_UPGRADE; with a body, after the body.
  return 0;
}

int RequestDecoderImpl::onMessageComplete() {
  callbacks_.onRequestComplete();
  // Upgrade: let llhttp stop with HPE_PAUSED_UPGRADE right after this message.
  return parser_.upgrade ? 0 : HPE_PAUSED;
}

RequestDecoderPtr createRequestDecoder(RequestDecoderCallbacks& callbacks,
                                       const DecoderLimits& limits) {
  return std::make_unique<RequestDecoderImpl>(callbacks, limits);
}

} // namespace gateway::http1
