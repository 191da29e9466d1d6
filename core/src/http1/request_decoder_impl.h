#pragma once

// RequestDecoderImpl: downstream (client -> gateway) HTTP/1.x request decoder on llhttp.
// Builds a RequestHead, streams the de-chunked body, pauses after each message, and rejects
// anything that could be read two ways by two parsers (see codec.h and the table in
// request_decoder_impl.cc for every choice).

#include <string>

#include "gateway/http/message.h"
#include "gateway/http1/codec.h"
#include "http1/parser_base.h"
#include "http1/syntax.h"

namespace gateway::http1 {

class RequestDecoderImpl final : public RequestDecoder, private ParserBase {
public:
  RequestDecoderImpl(RequestDecoderCallbacks& callbacks, const DecoderLimits& limits);

  // RequestDecoder
  DecodeResult decode(std::string_view data) override { return execute(data); }
  void resume() override { resumeParser(); }
  DecodeResult finish() override { return finishParser("client closed the connection mid-request"); }
  bool messageInProgress() const override { return inMessage(); }

private:
  // ParserBase
  int onMessageBegin() override;
  int onMethod() override;
  int onTarget(std::string_view rawTarget) override;
  int onVersion(int major, int minor) override;
  int onHeaderName(std::string_view name) override;
  int onHeader(std::string_view name, std::string_view value) override;
  int onHeadersComplete() override;
  void onBody(std::string_view data) override { callbacks_.onRequestBody(data); }
  int onMessageComplete() override;

  RequestDecoderCallbacks& callbacks_;
  http::RequestHead head_;
  std::string authority_;  // Host from an absolute-form target, else empty.
  syntax::TransferEncodingState te_;
  bool sawHost_{false};
  bool sawContentLength_{false};
  bool sawTransferEncoding_{false};
};

} // namespace gateway::http1
