// The Events stream on gRPC's CompletionQueue API, pumped into the worker's libuv loop.
//
// Why this shape (build-notes §6, plugin-rtt-costs.md): a thread blocked in cq.Next() delivers
// completions to the loop with one wake-up each (Dispatcher::post coalesces, and the loop
// drains every posted closure per wake-up), which measured cheaper than callback reactors.
// Every operation (Read, Write, WritesDone, Finish) is started on the worker thread and every
// completion is handled there; the pump thread only forwards (tag, ok).
//
// Lifetime: posted closures capture `alive_` (a shared flag only touched on the worker
// thread) and do nothing once the stream was destroyed. The destructor cancels the call, starts
// Finish if needed so that every tag completes, shuts the queue down and joins the pump.

#include <atomic>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "gateway/plugin/v1/plugin_service.grpc.pb.h"
#include "plugin/event_stream.h"

namespace gateway::plugin {
namespace {

enum Tag : intptr_t { kStart = 1, kRead, kWrite, kWritesDone, kFinish };

void* tagPtr(Tag t) { return reinterpret_cast<void*>(static_cast<intptr_t>(t)); }

class GrpcEventStream : public EventStream {
public:
  GrpcEventStream(event::Dispatcher& dispatcher, const ChannelSharedPtr& channel,
                  EventStreamCallbacks& callbacks)
      : dispatcher_(dispatcher), callbacks_(callbacks), alive_(std::make_shared<bool>(true)),
        stub_(v1::PluginServer::NewStub(channel)) {
    stream_ = stub_->PrepareAsyncEvents(&ctx_, &cq_);
    stream_->StartCall(tagPtr(kStart));
    pump_ = std::thread([this, alive = alive_] {
      void* tag = nullptr;
      bool ok = false;
      while (cq_.Next(&tag, &ok)) {
        const auto t = static_cast<Tag>(reinterpret_cast<intptr_t>(tag));
        if (t == kWrite) {
          // A successful write completion is only forwarded when the worker asked for it (it
          // has events to send or wants to half-close); otherwise the worker takes it itself on
          // its next flush (pollWriteDone), which saves a loop wake-up per message.
          writeOk_.store(ok);
          writeCompleted_.store(true);
          if (ok && !notifyWrite_.exchange(false)) {
            continue;
          }
        }
        dispatcher_.post([this, alive, t, ok] {
          if (!*alive) {
            return;
          }
          if (t == kWrite) {
            bool writeOk = false;
            if (reapWrite(&writeOk)) {
              callbacks_.onWriteDone(writeOk);
            }
            return;
          }
          handle(t, ok);
        });
      }
    });
  }

  ~GrpcEventStream() override {
    *alive_ = false;
    ctx_.TryCancel();
    if (!finishStarted_) {
      finishStarted_ = true;
      stream_->Finish(&status_, tagPtr(kFinish));
    }
    cq_.Shutdown();
    pump_.join();
  }

  void write(const v1::EventBatch& batch) override {
    writeInFlight_ = true;
    notifyWrite_.store(false);
    stream_->Write(batch, tagPtr(kWrite));
  }

  bool pollWriteDone(bool* ok) override {
    if (reapWrite(ok)) {
      return true;
    }
    // Ask the pump to forward the completion, then look again (the pump sets writeCompleted_
    // before it reads notifyWrite_, so one of the two sides sees the other).
    notifyWrite_.store(true);
    if (reapWrite(ok)) {
      notifyWrite_.store(false);
      return true;
    }
    return false;
  }

  void writesDone() override {
    wantWritesDone_ = true;
    if (!writeInFlight_ && started_ && !finishStarted_) {
      wantWritesDone_ = false;
      writeInFlight_ = true;
      stream_->WritesDone(tagPtr(kWritesDone));
    }
  }

private:
  // Takes the completion of the write in flight if it arrived (worker thread).
  bool reapWrite(bool* ok) {
    if (!writeInFlight_ || !writeCompleted_.exchange(false)) {
      return false;
    }
    *ok = writeOk_.load();
    writeInFlight_ = false;
    if (wantWritesDone_ && *ok) {
      writesDone();
    }
    return true;
  }

  void handle(Tag tag, bool ok) {
    switch (tag) {
    case kStart:
      if (!ok) {
        finish();
        return;
      }
      started_ = true;
      stream_->Read(&in_, tagPtr(kRead));
      callbacks_.onStreamReady();
      return;
    case kRead:
      if (!ok) {
        finish();
        return;
      }
      callbacks_.onReplies(in_);
      if (finishStarted_) {
        return;
      }
      in_.Clear();
      stream_->Read(&in_, tagPtr(kRead));
      return;
    case kWrite:
      return;  // Handled through reapWrite().
    case kWritesDone:
      writeInFlight_ = false;
      return;  // The server finishes the stream; the pending Read sees it.
    case kFinish:
      callbacks_.onStreamClosed(status_.ok() ? Status::ok()
                                             : unavailable("events stream ended: " +
                                                           status_.error_message()));
      return;
    }
  }

  void finish() {
    if (!finishStarted_) {
      finishStarted_ = true;
      stream_->Finish(&status_, tagPtr(kFinish));
    }
  }

  event::Dispatcher& dispatcher_;
  EventStreamCallbacks& callbacks_;
  std::shared_ptr<bool> alive_;
  std::unique_ptr<v1::PluginServer::Stub> stub_;
  grpc::ClientContext ctx_;
  grpc::CompletionQueue cq_;
  std::unique_ptr<grpc::ClientAsyncReaderWriter<v1::EventBatch, v1::ReplyBatch>> stream_;
  v1::ReplyBatch in_;
  grpc::Status status_;
  bool started_{false};
  bool writeInFlight_{false};
  bool wantWritesDone_{false};
  bool finishStarted_{false};
  std::atomic<bool> writeCompleted_{false};  // Set by the pump, taken by reapWrite().
  std::atomic<bool> writeOk_{false};
  std::atomic<bool> notifyWrite_{false};     // The worker waits for the write completion.
  std::thread pump_;
};

} // namespace

EventStreamPtr openEventStream(event::Dispatcher& dispatcher, const ChannelSharedPtr& channel,
                               EventStreamCallbacks& callbacks) {
  return std::make_unique<GrpcEventStream>(dispatcher, channel, callbacks);
}

} // namespace gateway::plugin
