#pragma once

// One long-lived Events stream to a plugin server, driven from one worker thread. The
// implementation (grpc_event_stream.cc) runs a CompletionQueue pump thread that hands every
// completion to the worker's loop with Dispatcher::post; all state changes happen on the worker
// thread, so callbacks below run there and gRPC threads never touch request state.

#include <memory>

#include "gateway/common/status.h"
#include "gateway/event/dispatcher.h"
#include "gateway/plugin/v1/plugin_service.pb.h"
#include "plugin/grpc_control.h"

namespace gateway::plugin {

class EventStreamCallbacks {
public:
  virtual ~EventStreamCallbacks() = default;
  // The call started; write() may be called.
  virtual void onStreamReady() = 0;
  // The write started by write() finished (ok = false: the stream is breaking).
  virtual void onWriteDone(bool ok) = 0;
  // A batch of replies arrived; `batch` is valid only during the call.
  virtual void onReplies(v1::ReplyBatch& batch) = 0;
  // The stream ended (OK after a clean close, an error otherwise). No callback follows; the
  // owner destroys the stream (not from inside this callback: post the destruction).
  virtual void onStreamClosed(const Status& status) = 0;
};

class EventStream {
public:
  // Cancels the call if it is still open and waits for the pump thread; no callback follows.
  virtual ~EventStream() = default;
  // Starts one write; at most one may be in flight (wait for onWriteDone). The message is
  // serialized before write() returns, so the caller may reuse it afterwards.
  virtual void write(const v1::EventBatch& batch) = 0;
  // Whether the write in flight has completed. A successful completion is not reported
  // through onWriteDone unless the caller asked: true (with *ok) means it completed and was
  // taken here (onWriteDone will not follow for it); false means it is still in flight and
  // onWriteDone follows when it completes. A failed write is always reported by onWriteDone
  // if it was not taken here first.
  virtual bool pollWriteDone(bool* ok) = 0;
  // Clean close: half-closes after the writes in flight (then onStreamClosed follows).
  virtual void writesDone() = 0;
};
using EventStreamPtr = std::unique_ptr<EventStream>;

// Opens the stream on `channel`. `callbacks` is borrowed and must outlive the stream.
EventStreamPtr openEventStream(event::Dispatcher& dispatcher, const ChannelSharedPtr& channel,
                               EventStreamCallbacks& callbacks);

} // namespace gateway::plugin
