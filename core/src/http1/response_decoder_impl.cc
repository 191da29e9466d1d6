#include "http1/response_decoder_impl.h"

// Choices for responses (every error is a 502 for the client; close the upstream connection):
//   Transfer-Encoding + Content-Length, Content-Length twice, non-decimal Content-Length 502
//   Transfer-Encoding other than exactly "chunked"                                      502
//     (RFC 9112 would read such a body until close; a gateway cannot forward it safely)
//   obs-fold, CTLs in values, bad names, version other than 1.0/1.1                     502
//   status line (reason) > maxRequestLineBytes, header bytes/count over the limits      502
//   1xx other than 101: onInformational, no body, decoding continues
//   101: onResponseHead + onResponseComplete, then Upgrade (whatever the headers say)
//   HEAD / 204 / 304: no body whatever Content-Length or Transfer-Encoding say

#include "gateway/http/header_map.h"

namespace gateway::http1 {

ResponseDecoderImpl::ResponseDecoderImpl(ResponseDecoderCallbacks& callbacks,
                                         const DecoderLimits& limits)
    : ParserBase(HTTP_RESPONSE, limits, ErrorStatuses{502, 502, 502}), callbacks_(callbacks) {}

void ResponseDecoderImpl::expectResponseTo(std::string_view requestMethod) {
  headRequest_ = requestMethod == "HEAD";
}

int ResponseDecoderImpl::onMessageBegin() {
  head_ = http::ResponseHead{};
  te_ = syntax::TransferEncodingState{};
  informational_ = false;
  sawContentLength_ = false;
  sawTransferEncoding_ = false;
  return 0;
}

int ResponseDecoderImpl::onVersion(int major, int minor) {
  if (major != 1 || minor > 1) {
    return failMalformed("upstream HTTP version not supported");
  }
  head_.versionMajor = major;
  head_.versionMinor = minor;
  return 0;
}

int ResponseDecoderImpl::onStatusLine(int status, std::string_view reason) {
  head_.status = status;
  head_.reason.assign(syntax::trimOws(reason));
  return 0;
}

int ResponseDecoderImpl::onHeaderName(std::string_view name) {
  if (http::iequals(name, "content-length")) {
    if (sawTransferEncoding_) {
      return failMalformed("upstream sent Transfer-Encoding together with Content-Length");
    }
    if (sawContentLength_) {
      return failMalformed("upstream sent multiple Content-Length headers");
    }
    sawContentLength_ = true;
  } else if (http::iequals(name, "transfer-encoding")) {
    if (sawContentLength_) {
      return failMalformed("upstream sent Transfer-Encoding together with Content-Length");
    }
    sawTransferEncoding_ = true;
  }
  return 0;
}

int ResponseDecoderImpl::onHeader(std::string_view name, std::string_view value) {
  if (sawContentLength_ && http::iequals(name, "content-length")) {
    auto n = syntax::parseContentLength(value);
    if (!n) {
      return failMalformed("upstream Content-Length is not a plain decimal number");
    }
    head_.contentLength = *n;
  } else if (sawTransferEncoding_ && http::iequals(name, "transfer-encoding")) {
    if (te_.add(value) != syntax::TransferEncodingState::Error::None || te_.otherCoding()) {
      return failMalformed("upstream Transfer-Encoding is not exactly chunked");
    }
  }
  head_.headers.add(std::string(name), std::string(value));
  return 0;
}

int ResponseDecoderImpl::onHeadersComplete() {
  const int status = head_.status;
  if (sawTransferEncoding_ && !te_.chunkedFinal()) {
    return failMalformed("upstream Transfer-Encoding is not exactly chunked");
  }
  const bool closeAsked = head_.versionMinor >= 1 ? (parser_.flags & F_CONNECTION_CLOSE) != 0
                                                  : (parser_.flags & F_CONNECTION_KEEP_ALIVE) == 0;
  head_.keepAlive = !closeAsked;

  if (status == 101) {
    head_.keepAlive = false;
    callbacks_.onResponseHead(std::move(head_));
    return 2;  // No body; llhttp completes the message and stops with HPE_PAUSED_UPGRADE.
  }
  if (status >= 100 && status < 200) {
    informational_ = true;
    callbacks_.onInformational(std::move(head_));
    return 1;
  }
  int rc = 0;
  if (headRequest_ || status == 204 || status == 304) {
    head_.framing = http::BodyFraming::None;
    head_.contentLength = 0;
    rc = 1;
  } else if (sawTransferEncoding_) {
    head_.framing = http::BodyFraming::Chunked;
  } else if (sawContentLength_) {
    head_.framing = http::BodyFraming::ContentLength;
  } else {
    head_.framing = http::BodyFraming::UntilClose;
    head_.keepAlive = false;
  }
  callbacks_.onResponseHead(std::move(head_));
  return rc;
}

int ResponseDecoderImpl::onMessageComplete() {
  if (informational_) {
    informational_ = false;
    return 0;  // Keep going: the final response follows.
  }
  callbacks_.onResponseComplete();
  return parser_.status_code == 101 ? 0 : HPE_PAUSED;
}

ResponseDecoderPtr createResponseDecoder(ResponseDecoderCallbacks& callbacks,
                                         const DecoderLimits& limits) {
  return std::make_unique<ResponseDecoderImpl>(callbacks, limits);
}

} // namespace gateway::http1
