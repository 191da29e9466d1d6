#pragma once

// HTTP/1.x codec: turns bytes into RequestHead/ResponseHead plus body chunks and back. This is
// the interface; core/src/http1/ implements it on llhttp and is the only place that includes
// <llhttp.h>. Decoders are per connection, single-threaded, and never throw.
//
// Request smuggling defences live here: Transfer-Encoding together with Content-Length,
// differing duplicate Content-Length values, bad chunk sizes, obs-fold, NUL/CR/LF in header
// values, and any Transfer-Encoding other than a final "chunked" are errors (400), and the
// connection must be closed after the error response.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "gateway/http/message.h"

namespace gateway::http1 {

struct DecoderLimits {
  size_t maxRequestLineBytes{8192};  // Request target longer than this -> 414.
  size_t maxHeaderBytes{32768};      // All header names+values -> 431.
  size_t maxHeaderCount{100};        // -> 431.
};

enum class DecodeStatus {
  Ok,               // All bytes consumed; feed more when they arrive.
  MessageComplete,  // A whole message ended after `consumed` bytes; the decoder is paused.
                    // The caller keeps the rest (pipelined bytes) and calls resume() when the
                    // connection is ready for the next message.
  Upgrade,          // The head of an upgrade request/101 response ended after `consumed` bytes;
                    // what follows is tunnel data, not HTTP. The decoder is done.
  Error,            // Malformed or over a limit: answer errorStatus and close.
};

struct DecodeResult {
  DecodeStatus status{DecodeStatus::Ok};
  size_t consumed{0};
  int errorStatus{0};        // 400, 413, 414, 431 (requests) or 502 (responses) when Error.
  std::string errorReason;   // For logs, e.g. "Transfer-Encoding together with Content-Length".
};

// Events from a request decoder. Views passed in are valid only during the call.
class RequestDecoderCallbacks {
public:
  virtual ~RequestDecoderCallbacks() = default;
  // The head is complete and validated. Framing, keepAlive, expectContinue and upgrade are set.
  virtual void onRequestHead(http::RequestHead&& head) = 0;
  // A piece of the (de-chunked) body.
  virtual void onRequestBody(std::string_view data) = 0;
  // The body ended (called right after onRequestHead for bodyless requests).
  virtual void onRequestComplete() = 0;
};

class RequestDecoder {
public:
  virtual ~RequestDecoder() = default;
  // Feeds bytes received from the client. Callbacks run synchronously inside decode().
  virtual DecodeResult decode(std::string_view data) = 0;
  // Prepares for the next message after MessageComplete.
  virtual void resume() = 0;
  // The client closed its side. Returns an error result if a message was cut short.
  virtual DecodeResult finish() = 0;
  // True while a message has started (any byte of it seen) and not completed.
  virtual bool messageInProgress() const = 0;
};

class ResponseDecoderCallbacks {
public:
  virtual ~ResponseDecoderCallbacks() = default;
  // An interim 1xx response other than 101 (e.g. 100 Continue). Decoding continues after it.
  virtual void onInformational(http::ResponseHead&& head) = 0;
  virtual void onResponseHead(http::ResponseHead&& head) = 0;
  virtual void onResponseBody(std::string_view data) = 0;
  virtual void onResponseComplete() = 0;
};

class ResponseDecoder {
public:
  virtual ~ResponseDecoder() = default;
  // Must be called before each response: HEAD responses have no body whatever they say.
  virtual void expectResponseTo(std::string_view requestMethod) = 0;
  virtual DecodeResult decode(std::string_view data) = 0;
  virtual void resume() = 0;
  // The upstream closed: completes an UntilClose body, or reports a truncated response.
  virtual DecodeResult finish() = 0;
  virtual bool messageInProgress() const = 0;
};

using RequestDecoderPtr = std::unique_ptr<RequestDecoder>;
using ResponseDecoderPtr = std::unique_ptr<ResponseDecoder>;

// The callbacks object is borrowed and must outlive the decoder.
RequestDecoderPtr createRequestDecoder(RequestDecoderCallbacks& callbacks, const DecoderLimits& limits);
ResponseDecoderPtr createResponseDecoder(ResponseDecoderCallbacks& callbacks, const DecoderLimits& limits);

// Serialization. Each appends to `out`. Heads are written as given: the caller sets framing
// headers (Content-Length / Transfer-Encoding) consistently with how it will write the body.
void encodeRequestHead(const http::RequestHead& head, std::string& out);
void encodeResponseHead(const http::ResponseHead& head, std::string& out);
// One chunk of a chunked body ("<hex>\r\n<data>\r\n"); empty data writes nothing.
void encodeChunk(std::string_view data, std::string& out);
// The last chunk ("0\r\n\r\n").
void encodeLastChunk(std::string& out);

// True when a header value is safe to forward (no CR, LF or NUL); names must be RFC 9110 tokens.
bool isValidHeaderName(std::string_view name);
bool isValidHeaderValue(std::string_view value);

} // namespace gateway::http1
