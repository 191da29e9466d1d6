#pragma once

// The event loop seen by everything outside core/src/event/ (the only directory that includes
// <uv.h>). One Dispatcher per worker thread; every object created from it belongs to that thread
// and must be used and destroyed on it. Only Dispatcher::post() may be called from other threads.
//
// Handle lifetime rule (libuv's): destroying a TcpStream/Timer/... object closes the handle; the
// memory of the underlying uv handle is released in its close callback inside event/, so callers
// simply drop their unique_ptr and never see a callback afterwards.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "gateway/common/status.h"

namespace gateway::event {

using MonotonicTime = std::chrono::steady_clock::time_point;

class Timer {
public:
  virtual ~Timer() = default;
  // (Re)arms the timer to fire once after `timeout`. Re-arming an armed timer moves its deadline.
  virtual void enable(std::chrono::milliseconds timeout) = 0;
  virtual void disable() = 0;
  virtual bool enabled() const = 0;
};
using TimerPtr = std::unique_ptr<Timer>;

// Receives events of a TcpStream. Called on the dispatcher's thread.
class StreamCallbacks {
public:
  virtual ~StreamCallbacks() = default;
  // Bytes arrived. The view is valid only during the call. Reading continues until
  // TcpStream::readDisable(true).
  virtual void onData(std::string_view data) = 0;
  // The peer closed its sending side (EOF). The stream may still be written to.
  virtual void onEof() = 0;
  // The connection failed (reset, write error, ...) or was closed; no more callbacks follow.
  // The owner should destroy the stream.
  virtual void onClose(const Status& reason) = 0;
  // Bytes queued for writing dropped below the low-water mark after having been above the
  // high-water mark (back-pressure released). See TcpStream::writeBufferFull().
  virtual void onWriteDrained() = 0;
};

// A connected TCP (or unix) stream. Writes are queued and never block; the owner watches
// writeBufferFull() / onWriteDrained() to apply back-pressure.
class TcpStream {
public:
  virtual ~TcpStream() = default;
  // Sets (or replaces) the callbacks object; borrowed, must outlive the stream or be reset.
  virtual void setCallbacks(StreamCallbacks* callbacks) = 0;
  // Stops (true) or restarts (false) reading from the socket.
  virtual void readDisable(bool disable) = 0;
  // Queues bytes for writing. The data is copied or moved; returns an error if the stream is
  // closed.
  virtual Status write(std::string&& data) = 0;
  // Bytes accepted by write() and not yet handed to the kernel.
  virtual size_t bufferedBytes() const = 0;
  // True when bufferedBytes() is above the high-water mark given at creation.
  virtual bool writeBufferFull() const = 0;
  // Closes after all queued bytes are written (graceful), then onClose(ok) is called.
  virtual void closeAfterWrite() = 0;
  // Closes now, dropping queued bytes; no callbacks afterwards.
  virtual void closeNow() = 0;
  // Half-close: shuts down the sending side after queued bytes are written.
  virtual void shutdownWrite() = 0;
  virtual std::string peerAddress() const = 0;  // IP literal, e.g. "127.0.0.1".
  virtual uint16_t peerPort() const = 0;
  virtual uint16_t localPort() const = 0;
  virtual bool isOpen() const = 0;
};
using TcpStreamPtr = std::unique_ptr<TcpStream>;

class Listener {
public:
  virtual ~Listener() = default;
  virtual uint16_t port() const = 0;  // The bound port (useful with port 0).
  // Stops accepting (the socket is closed); accepted connections are unaffected.
  virtual void stop() = 0;
};
using ListenerPtr = std::unique_ptr<Listener>;

// Outcome of an outbound connect: a stream or an error (refused, unreachable, timeout, DNS).
using ConnectCallback = std::function<void(StatusOr<TcpStreamPtr>&&)>;

// Handle for an outbound connect in progress; destroying it cancels the connect (the callback
// is then never called).
class ConnectRequest {
public:
  virtual ~ConnectRequest() = default;
};
using ConnectRequestPtr = std::unique_ptr<ConnectRequest>;

class Dispatcher {
public:
  virtual ~Dispatcher() = default;

  // Runs the loop until exit() is called. Blocks the calling thread. May be called again after
  // it returned (tests run a dispatcher in steps).
  virtual void run() = 0;
  // Thread-safe: asks the loop to return from run() at the end of the current iteration, even
  // if handles are still open. Their owners close them when destroyed (on this thread); the
  // Dispatcher's destructor runs the remaining close callbacks, so destroy every object created
  // from the dispatcher before the dispatcher itself.
  virtual void exit() = 0;
  // Thread-safe: runs `fn` on this dispatcher's thread soon. Calls are coalesced into one wake-up
  // and run in order.
  virtual void post(std::function<void()> fn) = 0;
  // The loop's cached monotonic time (updated once per loop iteration).
  virtual MonotonicTime now() const = 0;

  virtual TimerPtr createTimer(std::function<void()> cb) = 0;
  // Runs `cb` at the end of the current loop iteration (before the loop blocks again), once per
  // call of schedule(); used to flush batched writes.
  virtual void scheduleEndOfIteration(std::function<void()> cb) = 0;

  // Listens on host:port with SO_REUSEPORT so that every worker can bind the same address.
  // `onAccept` receives each new connection (already reading nothing: set callbacks first).
  virtual StatusOr<ListenerPtr> listenTcp(const std::string& host, uint16_t port, int backlog,
                                          std::function<void(TcpStreamPtr)> onAccept) = 0;
  // Connects to host:port (host may be a name: resolved asynchronously, or an IP literal).
  // `writeHighWater` is the write-buffer back-pressure mark of the resulting stream.
  virtual ConnectRequestPtr connectTcp(const std::string& host, uint16_t port,
                                       std::chrono::milliseconds timeout, size_t writeHighWater,
                                       ConnectCallback cb) = 0;
  // Connects to the unix-domain stream socket at `path`. The callback is called from a loop
  // callback (never from inside connectUnix), with the stream or the error (refused, no such
  // file, a full backlog, a path too long); the stream's peerAddress() is "unix".
  virtual ConnectRequestPtr connectUnix(const std::string& path, size_t writeHighWater,
                                        ConnectCallback cb) = 0;
};
using DispatcherPtr = std::unique_ptr<Dispatcher>;

// Creates a dispatcher with its own libuv loop, to be run on one thread.
DispatcherPtr createDispatcher();

} // namespace gateway::event
