// H2EventStream against hostile or broken peers on a real unix socket: a peer that is not HTTP/2,
// one that hangs up, one that answers with a bad gRPC message or a gRPC error, and a well-behaved
// one (the echo of an EventBatch as a ReplyBatch). The peer is a thread with a blocking socket
// and, where it speaks HTTP/2, an nghttp2 server session. Every case must end in exactly one
// onStreamClosed (OK only for the clean one), never a crash or a hang.

#include <nghttp2/nghttp2.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>

#include <catch2/catch.hpp>

#include "core/event/test_util.h"
#include "plugin/event_stream.h"
#include "plugin/grpc_framing.h"

using namespace gateway;
using namespace gateway::plugin;
using namespace std::chrono_literals;

namespace {

// A listening unix socket in a temporary directory; serve(fn) runs fn(fd) for one connection.
class UnixPeer {
public:
  UnixPeer() {
    std::string t = (std::filesystem::temp_directory_path() / "gw-h2-test-XXXXXX");
    dir_ = ::mkdtemp(t.data());
    path_ = dir_ + "/peer.sock";
    listenFd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path_.c_str(), sizeof(addr.sun_path) - 1);
    REQUIRE(::bind(listenFd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    REQUIRE(::listen(listenFd_, 4) == 0);
  }
  ~UnixPeer() {
    ::shutdown(listenFd_, SHUT_RDWR);
    ::close(listenFd_);
    if (thread_.joinable()) {
      thread_.join();
    }
    std::filesystem::remove_all(dir_);
  }
  void serve(std::function<void(int)> fn) {
    thread_ = std::thread([this, fn = std::move(fn)] {
      const int fd = ::accept(listenFd_, nullptr, nullptr);
      if (fd >= 0) {
        fn(fd);
        ::close(fd);
      }
    });
  }
  std::string address() const { return "unix:" + path_; }

private:
  std::string dir_, path_;
  int listenFd_{-1};
  std::thread thread_;
};

// The HTTP/2 side of a peer: answers the Events request with `respond(session, streamId)` and
// echoes every EventBatch's events as replies when `echo` is set.
struct H2Peer {
  nghttp2_session* session{nullptr};
  int fd;
  int32_t streamId{0};
  std::function<void(H2Peer&)> onRequest;  // After the request HEADERS arrived.
  std::function<void(H2Peer&, v1::EventBatch&)> onBatch;
  GrpcFrameDecoder decoder{1 << 20};
  std::string pendingOut;  // Response DATA not yet taken by nghttp2.
  bool endAfterData{false};
  bool done{false};

  explicit H2Peer(int f) : fd(f) {
    nghttp2_session_callbacks* cbs;
    nghttp2_session_callbacks_new(&cbs);
    nghttp2_session_callbacks_set_on_frame_recv_callback(
        cbs, [](nghttp2_session*, const nghttp2_frame* frame, void* user) {
          auto* self = static_cast<H2Peer*>(user);
          if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
            self->streamId = frame->hd.stream_id;
            self->onRequest(*self);
          }
          return 0;
        });
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(
        cbs, [](nghttp2_session*, uint8_t, int32_t, const uint8_t* data, size_t len, void* user) {
          auto* self = static_cast<H2Peer*>(user);
          self->decoder.feed(std::string_view(reinterpret_cast<const char*>(data), len));
          std::string_view m;
          while (self->decoder.next(&m)) {
            v1::EventBatch batch;
            REQUIRE(batch.ParseFromArray(m.data(), static_cast<int>(m.size())));
            if (self->onBatch) {
              self->onBatch(*self, batch);
            }
          }
          return 0;
        });
    nghttp2_session_server_new(&session, cbs, this);
    nghttp2_session_callbacks_del(cbs);
    nghttp2_submit_settings(session, NGHTTP2_FLAG_NONE, nullptr, 0);
  }
  ~H2Peer() { nghttp2_session_del(session); }

  void respondHeaders() {
    const nghttp2_nv nv[] = {
        {(uint8_t*)":status", (uint8_t*)"200", 7, 3, NGHTTP2_NV_FLAG_NONE},
        {(uint8_t*)"content-type", (uint8_t*)"application/grpc", 12, 16, NGHTTP2_NV_FLAG_NONE},
    };
    nghttp2_data_provider provider{};
    provider.source.ptr = this;
    provider.read_callback = [](nghttp2_session*, int32_t, uint8_t* buf, size_t length,
                                uint32_t* flags, nghttp2_data_source*, void* user) -> ssize_t {
      auto* self = static_cast<H2Peer*>(user);
      if (self->pendingOut.empty()) {
        if (self->endAfterData) {
          *flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
          self->endAfterData = false;
          self->sendTrailers("0", "");
          return 0;
        }
        return NGHTTP2_ERR_DEFERRED;
      }
      const size_t n = std::min(length, self->pendingOut.size());
      std::memcpy(buf, self->pendingOut.data(), n);
      self->pendingOut.erase(0, n);
      return static_cast<ssize_t>(n);
    };
    nghttp2_submit_response(session, streamId, nv, 2, &provider);
  }
  void sendData(const std::string& bytes) {
    pendingOut += bytes;
    nghttp2_session_resume_data(session, streamId);
  }
  void sendMessage(const google::protobuf::MessageLite& m) {
    std::string framed;
    appendGrpcFrameHeader(framed, static_cast<uint32_t>(m.ByteSizeLong()));
    framed += m.SerializeAsString();
    sendData(framed);
  }
  void sendTrailers(const std::string& status, const std::string& message) {
    const nghttp2_nv nv[] = {
        {(uint8_t*)"grpc-status", (uint8_t*)status.data(), 11, status.size(),
         NGHTTP2_NV_FLAG_NONE},
        {(uint8_t*)"grpc-message", (uint8_t*)message.data(), 12, message.size(),
         NGHTTP2_NV_FLAG_NONE},
    };
    nghttp2_submit_trailer(session, streamId, nv, message.empty() ? 1 : 2);
  }

  // Runs the connection until the client goes away, `done` is set or 5 s pass.
  void run() {
    const auto until = std::chrono::steady_clock::now() + 5s;
    char buf[16384];
    while (!done && std::chrono::steady_clock::now() < until) {
      const uint8_t* out;
      ssize_t n;
      while ((n = nghttp2_session_mem_send(session, &out)) > 0) {
        if (::send(fd, out, static_cast<size_t>(n), MSG_NOSIGNAL) < 0) {
          return;
        }
      }
      timeval tv{0, 50000};
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
      const ssize_t r = ::recv(fd, buf, sizeof(buf), 0);
      if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
        return;
      }
      if (r > 0 && nghttp2_session_mem_recv(session, reinterpret_cast<uint8_t*>(buf),
                                            static_cast<size_t>(r)) < 0) {
        return;
      }
    }
  }
};

struct Recorder : EventStreamCallbacks {
  bool ready{false};
  int closed{0};
  Status status;
  std::vector<v1::ReplyBatch> replies;
  std::function<void()> onReady;
  void onStreamReady() override {
    ready = true;
    if (onReady) {
      onReady();
    }
  }
  void onWriteDone(bool) override {}
  void onReplies(v1::ReplyBatch& batch) override {
    replies.push_back(batch);
    if (onReply) {
      onReply();
    }
  }
  void onStreamClosed(const Status& s) override {
    ++closed;
    status = s;
  }
  void onStreamGoingAway() override {
    ++goaways;
    goawayAfterReplies = replies.size();
  }
  int goaways{0};
  size_t goawayAfterReplies{0};
  std::function<void()> onReply;
};

// Opens a stream to `address`, runs the loop until it closed (or 5 s), then a little longer to
// catch a second onStreamClosed.
Recorder runStream(const std::string& address, std::function<void(EventStream&)> onReady = {},
                   std::function<void(Recorder&)> setup = {}) {
  // gantry ignores SIGPIPE (server.cc); so must this test process, or writing to a peer that
  // just hung up kills it instead of failing the stream.
  std::signal(SIGPIPE, SIG_IGN);
  auto loop = event::createDispatcher();
  Recorder rec;
  EventStreamPtr stream;
  rec.onReady = [&] {
    if (onReady) {
      onReady(*stream);
    }
  };
  if (setup) {
    setup(rec);
  }
  stream = openEventStream(*loop, address, rec);
  event::test::runUntil(*loop, [&] { return rec.closed > 0; }, 5000ms);
  event::test::runUntil(*loop, [] { return false; }, 50ms);
  stream.reset();
  rec.onReady = nullptr;
  rec.onReply = nullptr;
  return rec;
}

v1::EventBatch oneEvent(uint64_t requestId) {
  v1::EventBatch b;
  auto* e = b.add_events();
  e->set_request_id(requestId);
  e->set_seq(1);
  e->mutable_phase_call()->set_phase(v1::PHASE_ACCESS);
  return b;
}

// An empty PhaseResult for every event of `batch`.
v1::ReplyBatch answerAll(const v1::EventBatch& batch) {
  v1::ReplyBatch replies;
  for (const auto& e : batch.events()) {
    auto* r = replies.add_replies();
    r->set_request_id(e.request_id());
    r->set_seq(e.seq());
    r->mutable_result();
  }
  return replies;
}

} // namespace

TEST_CASE("h2 event stream: nobody listening", "[plugin][h2]") {
  auto rec = runStream("unix:/nonexistent/gantry-test.sock");
  CHECK_FALSE(rec.ready);
  REQUIRE(rec.closed == 1);
  CHECK_FALSE(rec.status.isOk());
  CHECK_THAT(rec.status.message(), Catch::Contains("connect"));
}

TEST_CASE("h2 event stream: a malformed address", "[plugin][h2]") {
  auto rec = runStream("no-port-here");
  REQUIRE(rec.closed == 1);
  CHECK_THAT(rec.status.message(), Catch::Contains("host:port"));
}

TEST_CASE("h2 event stream: a peer that is not HTTP/2", "[plugin][h2]") {
  UnixPeer peer;
  peer.serve([](int fd) {
    const char junk[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
    (void)::send(fd, junk, sizeof(junk) - 1, MSG_NOSIGNAL);
    char buf[4096];
    while (::recv(fd, buf, sizeof(buf), 0) > 0) {
    }
  });
  auto rec = runStream(peer.address());
  REQUIRE(rec.closed == 1);
  CHECK_FALSE(rec.status.isOk());
}

TEST_CASE("h2 event stream: a peer that hangs up at once", "[plugin][h2]") {
  UnixPeer peer;
  peer.serve([](int) {});
  auto rec = runStream(peer.address());
  REQUIRE(rec.closed == 1);
  CHECK_FALSE(rec.status.isOk());
}

// A graceful stop as grpc-go does it: GOAWAY, then the stream goes on; it is reported once
// (to move new work elsewhere) and replies still arrive until the call ends cleanly.
TEST_CASE("h2 event stream: GOAWAY is reported and the stream keeps working", "[plugin][h2]") {
  UnixPeer peer;
  peer.serve([](int fd) {
    H2Peer h2(fd);
    h2.onRequest = [](H2Peer& p) {
      p.respondHeaders();
      nghttp2_submit_goaway(p.session, NGHTTP2_FLAG_NONE, p.streamId, NGHTTP2_NO_ERROR,
                            nullptr, 0);
    };
    h2.onBatch = [](H2Peer& p, v1::EventBatch& batch) {
      p.sendMessage(answerAll(batch));
      if (batch.events(0).request_id() == 2) {
        p.endAfterData = true;  // Then trailers with grpc-status 0.
      }
    };
    h2.run();
  });
  EventStream* stream = nullptr;
  Recorder* recorder = nullptr;
  auto rec = runStream(peer.address(), [&](EventStream& s) {
    stream = &s;
    s.write(oneEvent(1));
  }, [&](Recorder& r) {
    recorder = &r;
    r.onReply = [&] {
      if (recorder->replies.size() == 1) {
        bool ok = false;
        REQUIRE(stream->pollWriteDone(&ok));
        stream->write(oneEvent(2));  // After the GOAWAY: still answered.
        stream->writesDone();
      }
    };
  });
  REQUIRE(rec.ready);
  CHECK(rec.goaways == 1);
  CHECK(rec.goawayAfterReplies <= 1);
  REQUIRE(rec.replies.size() == 2);
  CHECK(rec.closed == 1);
  CHECK(rec.status.ok());
}

TEST_CASE("h2 event stream: replies arrive and a clean end is OK", "[plugin][h2]") {
  UnixPeer peer;
  peer.serve([](int fd) {
    H2Peer h2(fd);
    h2.onRequest = [](H2Peer& p) { p.respondHeaders(); };
    h2.onBatch = [](H2Peer& p, v1::EventBatch& batch) {
      p.sendMessage(answerAll(batch));
      p.endAfterData = true;  // Then trailers with grpc-status 0.
    };
    h2.run();
  });
  auto rec = runStream(peer.address(), [](EventStream& s) {
    s.write(oneEvent(42));
    s.writesDone();
  });
  REQUIRE(rec.ready);
  REQUIRE(rec.replies.size() == 1);
  REQUIRE(rec.replies[0].replies_size() == 1);
  CHECK(rec.replies[0].replies(0).request_id() == 42);
  REQUIRE(rec.closed == 1);
  CHECK(rec.status.isOk());
}

TEST_CASE("h2 event stream: hostile gRPC replies close the stream with an error", "[plugin][h2]") {
  std::string expect;
  std::function<void(H2Peer&)> attack;
  SECTION("a length prefix of 4 GiB") {
    attack = [](H2Peer& p) { p.respondHeaders(); p.sendData(std::string("\x00\xff\xff\xff\xff", 5)); };
    expect = "exceeds the limit";
  }
  SECTION("a message that is not a ReplyBatch") {
    attack = [](H2Peer& p) {
      p.respondHeaders();
      std::string framed;
      appendGrpcFrameHeader(framed, 4);
      p.sendData(framed + "\xff\xff\xff\xff");
    };
    expect = "malformed ReplyBatch";
  }
  SECTION("a compressed message") {
    attack = [](H2Peer& p) { p.respondHeaders(); p.sendData(std::string("\x01\x00\x00\x00\x01x", 6)); };
    expect = "compressed";
  }
  SECTION("a gRPC error status (trailers-only response)") {
    attack = [](H2Peer& p) {
      const nghttp2_nv nv[] = {
          {(uint8_t*)":status", (uint8_t*)"200", 7, 3, NGHTTP2_NV_FLAG_NONE},
          {(uint8_t*)"content-type", (uint8_t*)"application/grpc", 12, 16, NGHTTP2_NV_FLAG_NONE},
          {(uint8_t*)"grpc-status", (uint8_t*)"13", 11, 2, NGHTTP2_NV_FLAG_NONE},
          {(uint8_t*)"grpc-message", (uint8_t*)"boom%20here", 12, 11, NGHTTP2_NV_FLAG_NONE},
      };
      nghttp2_submit_response(p.session, p.streamId, nv, 4, nullptr);
    };
    expect = "grpc status 13: boom here";
  }
  SECTION("an HTTP error instead of gRPC") {
    attack = [](H2Peer& p) {
      const nghttp2_nv nv[] = {{(uint8_t*)":status", (uint8_t*)"404", 7, 3, NGHTTP2_NV_FLAG_NONE}};
      nghttp2_submit_response(p.session, p.streamId, nv, 1, nullptr);
    };
    expect = "did not answer as a gRPC server";
  }
  SECTION("a stream reset") {
    attack = [](H2Peer& p) {
      p.respondHeaders();
      nghttp2_submit_rst_stream(p.session, NGHTTP2_FLAG_NONE, p.streamId, NGHTTP2_INTERNAL_ERROR);
    };
    expect = "reset";
  }
  UnixPeer peer;
  peer.serve([attack](int fd) {
    H2Peer h2(fd);
    h2.onRequest = attack;
    h2.run();
  });
  auto rec = runStream(peer.address());
  REQUIRE(rec.closed == 1);
  CHECK_FALSE(rec.status.isOk());
  CHECK_THAT(rec.status.message(), Catch::Contains(expect));
  CHECK(rec.replies.empty());
}
