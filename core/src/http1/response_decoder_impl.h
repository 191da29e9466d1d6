#pragma once

// ResponseDecoderImpl: upstream (service -> gateway) HTTP/1.x response decoder on llhttp.
// Every problem is answered with 502 by the caller. 1xx (except 101) go to onInformational and
// decoding continues; 101 ends in Upgrade; HEAD/204/304 have no body; a response with neither
// Content-Length nor chunked is read until the upstream closes (finish()).

#include <string>

#include "gateway/http/message.h"
#include "gateway/http1/codec.h"
#include "http1/parser_base.h"
#include "http1/syntax.h"

namespace gateway::http1 {

class ResponseDecoderImpl final : public ResponseDecoder, private ParserBase {
public:
  ResponseDecoderImpl(ResponseDecoderCallbacks& callbacks, const DecoderLimits& limits);

  // ResponseDecoder
  void expectResponseTo(std::string_view requestMethod) override;
  DecodeResult decode(std::string_view data) override { return execute(data); }
  void resume() override { resumeParser(); }
  DecodeResult finish() override { return finishParser("upstream closed the connection mid-response"); }
  bool messageInProgress() const override { return inMessage(); }

private:
  // ParserBase
  int onMessageBegin() override;
  int onStatusLine(int status, std::string_view reason) override;
  int onVersion(int major, int minor) override;
  int onHeaderName(std::string_view name) override;
  int onHeader(std::string_view name, std::string_view value) override;
  int onHeadersComplete() override;
  void onBody(std::string_view data) override { callbacks_.onResponseBody(data); }
  int onMessageComplete() override;

  ResponseDecoderCallbacks& callbacks_;
  http::ResponseHead head_;
  syntax::TransferEncodingState te_;
  bool headRequest_{false};  // Set by expectResponseTo("HEAD"); kept until changed.
  bool informational_{false};
  bool sawContentLength_{false};
  bool sawTransferEncoding_{false};
};

} // namespace gateway::http1
