#pragma once

// End-to-end fixture for the proxy worker: a real Dispatcher, a tiny HTTP upstream on port 0
// (answers with what it received), the worker behind a listener on port 0, and raw clients that
// decode responses with the real codec. Everything runs on one loop; runUntil() drives it.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/event/test_util.h"
#include "gateway/http1/codec.h"
#include "gateway/proxy/worker.h"
#include "gateway/router/router.h"

namespace gateway::proxy::test {

using namespace std::chrono_literals;

// One upstream connection: decodes requests and answers each one.
struct UpstreamConn : event::StreamCallbacks, http1::RequestDecoderCallbacks {
  struct Server* server;
  int index;
  event::TcpStreamPtr stream;
  http1::RequestDecoderPtr decoder;
  http::RequestHead head;
  std::string body;         // Kept only up to 1 MiB; bodySize counts everything.
  uint64_t bodySize{0};
  uint64_t downloadLeft{0}; // "/download/<n>": bytes still to send, paced by onWriteDrained.
  bool closed{false};
  bool tunnel{false};  // After a 101: echo every byte back.
  int served{0};       // Requests seen on this connection.
  UpstreamConn(Server* s, int i, event::TcpStreamPtr st);
  void onData(std::string_view data) override;
  void onEof() override {}
  void onClose(const Status&) override { closed = true; }
  void onWriteDrained() override { pump(); }
  void pump() {
    while (downloadLeft > 0 && !stream->writeBufferFull()) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(downloadLeft, 64 * 1024));
      (void)stream->write(std::string(n, 'd'));
      downloadLeft -= n;
    }
  }
  void onRequestHead(http::RequestHead&& h) override {
    head = std::move(h);
    body.clear();
    bodySize = 0;
  }
  void onRequestBody(std::string_view d) override {
    bodySize += d.size();
    if (body.size() < (1 << 20)) {
      body.append(d);
    }
  }
  void onRequestComplete() override;
};

struct Server {
  event::ListenerPtr listener;
  std::vector<std::unique_ptr<UpstreamConn>> conns;
  std::vector<http::RequestHead> requests;  // Every request head received.
  std::vector<uint64_t> bodySizes;
  // Paths that never get an answer.
  std::string silentPrefix{"/slow"};
  uint16_t port() const { return listener->port(); }
};

inline UpstreamConn::UpstreamConn(Server* s, int i, event::TcpStreamPtr st)
    : server(s), index(i), stream(std::move(st)) {
  decoder = http1::createRequestDecoder(*this, http1::DecoderLimits{});
  stream->setCallbacks(this);
  stream->readDisable(false);
}

inline void UpstreamConn::onData(std::string_view data) {
  if (tunnel) {
    (void)stream->write(std::string(data));
    return;
  }
  while (!data.empty()) {
    auto r = decoder->decode(data);
    if (r.status == http1::DecodeStatus::MessageComplete) {
      decoder->resume();
      data.remove_prefix(r.consumed);
      continue;
    }
    if (r.status == http1::DecodeStatus::Upgrade) {
      tunnel = true;
      data.remove_prefix(r.consumed);
      if (!data.empty()) {
        (void)stream->write(std::string(data));
      }
      return;
    }
    if (r.status == http1::DecodeStatus::Error) {
      stream->closeNow();
    }
    return;
  }
}

inline void UpstreamConn::onRequestComplete() {
  ++served;
  // "/stale": the second request on a connection finds it closed (a keep-alive race).
  if (head.path.rfind("/api/stale", 0) == 0 && served == 2) {
    stream->closeNow();
    closed = true;
    return;
  }
  server->requests.push_back(head);
  server->bodySizes.push_back(bodySize);
  if (head.path.rfind(server->silentPrefix, 0) == 0) {
    return;
  }
  if (head.path.rfind("/api/download/", 0) == 0) {
    downloadLeft = std::stoull(head.path.substr(14));
    (void)stream->write("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(downloadLeft) +
                        "\r\n\r\n");
    pump();
    return;
  }
  if (head.upgrade) {
    (void)stream->write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                        "Connection: Upgrade\r\n\r\n");
    return;
  }
  // Body: the request head as received upstream, then the body size.
  std::string echo = head.method + " " + head.target() + "\n";
  for (const auto& f : head.headers) {
    echo += f.name + ": " + f.value + "\n";
  }
  echo += "body-size: " + std::to_string(bodySize) + "\n";
  std::string out;
  if (head.path.rfind("/chunked", 0) == 0) {
    out = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Conn: " + std::to_string(index) +
          "\r\n\r\n";
    http1::encodeChunk(echo, out);
    http1::encodeLastChunk(out);
  } else {
    out = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(echo.size()) +
          "\r\nServer: tiny\r\nConnection: keep-alive\r\nX-Conn: " + std::to_string(index) +
          "\r\n\r\n";
    if (head.method != "HEAD") {
      out += echo;
    }
  }
  (void)stream->write(std::move(out));
}

struct Response {
  http::ResponseHead head;
  std::string body;
  bool complete{false};
};

// A raw client connection to the gateway.
struct Client : event::StreamCallbacks, http1::ResponseDecoderCallbacks {
  event::TcpStreamPtr stream;
  http1::ResponseDecoderPtr decoder = http1::createResponseDecoder(*this, http1::DecoderLimits{});
  std::vector<Response> responses;
  std::vector<int> informational;
  std::vector<std::string> methods;  // Methods of requests sent, to tell the decoder.
  size_t next{0};
  bool eof{false};
  bool closed{false};
  std::string raw;
  std::function<void()> onCompleteHook;  // Runs after each complete response (benchmarks).
  std::function<void()> onDrainedHook;
  bool countOnly{false};                 // Count body bytes instead of keeping them.
  uint64_t bodyBytes{0};

  void send(std::string bytes, std::string method = "GET") {
    methods.push_back(method);
    if (methods.size() == 1) {
      decoder->expectResponseTo(methods[0]);
    }
    REQUIRE(stream->write(std::move(bytes)).isOk());
  }
  void onData(std::string_view data) override {
    if (!countOnly) {
      raw.append(data);
    }
    while (!data.empty()) {
      auto r = decoder->decode(data);
      if (r.status == http1::DecodeStatus::MessageComplete) {
        data.remove_prefix(r.consumed);
        decoder->resume();
        ++next;
        if (onCompleteHook) {
          onCompleteHook();
        }
        if (next < methods.size()) {
          decoder->expectResponseTo(methods[next]);
        }
        continue;
      }
      return;
    }
  }
  void onEof() override {
    eof = true;
    decoder->finish();
  }
  void onClose(const Status&) override { closed = true; }
  void onWriteDrained() override {
    if (onDrainedHook) {
      onDrainedHook();
    }
  }
  void onInformational(http::ResponseHead&& h) override { informational.push_back(h.status); }
  void onResponseHead(http::ResponseHead&& h) override {
    responses.push_back({});
    responses.back().head = std::move(h);
  }
  void onResponseBody(std::string_view d) override {
    bodyBytes += d.size();
    if (!countOnly) {
      responses.back().body.append(d);
    }
  }
  void onResponseComplete() override { responses.back().complete = true; }
  size_t completed() const {
    size_t n = 0;
    for (const auto& r : responses) {
      n += r.complete ? 1 : 0;
    }
    return n;
  }
};

struct Sink : AccessLogSink {
  std::vector<std::string> lines;
  void write(std::string&& line) override { lines.push_back(std::move(line)); }
};

struct Env {
  event::DispatcherPtr dispatcher = event::createDispatcher();
  Server upstream;
  Sink sink;
  std::shared_ptr<config::Config> config = std::make_shared<config::Config>();
  ProxyWorkerPtr worker;
  event::ListenerPtr gateway;
  uint16_t deadPort{0};

  Env() {
    auto l = dispatcher->listenTcp("127.0.0.1", 0, 128, [this](event::TcpStreamPtr s) {
      int i = static_cast<int>(upstream.conns.size());
      upstream.conns.push_back(std::make_unique<UpstreamConn>(&upstream, i, std::move(s)));
    });
    REQUIRE(l.isOk());
    upstream.listener = std::move(l.value());
    {
      // A port nobody listens on: bind, read the port, close.
      auto dead = dispatcher->listenTcp("127.0.0.1", 0, 1, [](event::TcpStreamPtr) {});
      REQUIRE(dead.isOk());
      deadPort = dead.value()->port();
    }
    addService("s1", upstream.port(), "/api", false);
    addService("dead", deadPort, "/dead", true);
    addService("slow", upstream.port(), "/slow", false);
    config->services.back().readTimeout = 200ms;
    addService("chunked", upstream.port(), "/chunked", false);
    config->gateway.limits.maxBodyBytes = 0;
  }

  void addService(const std::string& name, uint16_t port, const std::string& path, bool strip) {
    config::Service s;
    s.id = name + "-id";
    s.name = name;
    s.host = "127.0.0.1";
    s.port = port;
    s.retries = 2;
    config->services.push_back(s);
    config::Route r;
    r.id = name + "-route";
    r.name = name;
    r.serviceId = s.id;
    r.paths = {path};
    r.stripPath = strip;
    r.order = config->routes.size();
    config->routes.push_back(r);
  }

  // Call after adjusting `config`.
  void start() {
    auto snapshot = std::make_shared<ConfigSnapshot>();
    snapshot->config = config;
    snapshot->router = router::createRouter(*config);
    snapshot->generation = 1;
    worker = createProxyWorker(*dispatcher, snapshot, nullptr, sink);
    auto l = dispatcher->listenTcp("127.0.0.1", 0, 128,
                                   [this](event::TcpStreamPtr s) { worker->onAccept(std::move(s)); });
    REQUIRE(l.isOk());
    gateway = std::move(l.value());
  }

  std::unique_ptr<Client> connect() {
    auto c = std::make_unique<Client>();
    bool done = false;
    auto req = dispatcher->connectTcp("127.0.0.1", gateway->port(), 1000ms, 1 << 20,
                                      [&](StatusOr<event::TcpStreamPtr>&& r) {
                                        REQUIRE(r.isOk());
                                        c->stream = std::move(r.value());
                                        done = true;
                                      });
    REQUIRE(run([&] { return done; }));
    c->stream->setCallbacks(c.get());
    c->stream->readDisable(false);
    return c;
  }

  bool run(const std::function<bool()>& done, std::chrono::milliseconds limit = 5000ms) {
    return event::test::runUntil(*dispatcher, done, limit);
  }

  ~Env() {
    if (worker) {
      worker->closeAll();
    }
    worker.reset();
    gateway.reset();
    upstream.conns.clear();
    upstream.listener.reset();
    // Let close callbacks run.
    event::test::runUntil(*dispatcher, [] { return false; }, 20ms);
  }
};

} // namespace gateway::proxy::test
