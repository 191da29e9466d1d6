#pragma once

// One long-lived Events stream to a plugin server, driven from one worker thread. The
// implementation (h2_event_stream.cc) speaks gRPC's wire protocol itself, on a connection of its
// own owned by the worker's event loop: no gRPC library thread and no cross-thread hand-off sits
// between a reply arriving and its request resuming. Callbacks run on the worker thread, from
// loop callbacks (never from inside write(), pollWriteDone() or writesDone()).

#include <memory>
#include <string_view>

#include "gateway/common/status.h"
#include "gateway/event/dispatcher.h"
#include "gateway/plugin/v1/plugin_service.pb.h"
#include <string>

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
  // The server sent GOAWAY (a graceful stop, a connection age limit): the stream still works
  // and calls on it are answered, but the server wants no new work on this connection. The
  // owner should send new events on a new stream and half-close this one once idle.
  virtual void onStreamGoingAway() {}
};

class EventStream {
public:
  // Closes the connection if the call is still open (the server sees the call cancelled); no
  // callback follows.
  virtual ~EventStream() = default;
  // Starts one write of one EventBatch message: `encodedEvents` (EventBatch fields already in
  // wire format, snapshot_encoder.h) followed by `more` serialized; at most one write may be in
  // flight (wait for onWriteDone). Both are copied before write() returns, so the caller may
  // reuse them afterwards.
  virtual void write(std::string_view encodedEvents, const v1::EventBatch& more) = 0;
  void write(const v1::EventBatch& batch) { write({}, batch); }
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

// Connects to `address` ("unix:/path", "unix:///path" or "host:port") and opens the stream
// there. Errors (connect, HTTP/2, gRPC status) arrive through onStreamClosed. `callbacks` is
// borrowed and must outlive the stream.
EventStreamPtr openEventStream(event::Dispatcher& dispatcher, const std::string& address,
                               EventStreamCallbacks& callbacks);

} // namespace gateway::plugin
