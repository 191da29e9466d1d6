#pragma once

// TcpStream on a uv_tcp_t.
//
// Writes: write() appends to a queue and asks the dispatcher for a flush at the end of the
// iteration; the flush hands every queued chunk to one uv_write (one writev), and at most one
// uv_write is in flight, so chunks queued meanwhile are batched into the next. write() never
// calls back into user code.
// Back-pressure: writeBufferFull() is true above the high-water mark; once it has been true,
// onWriteDrained() fires when the buffered bytes fall to the low-water mark (half the high one).
// Reading runs while callbacks are set, readDisable(false) and no EOF was seen.

#include <string>
#include <vector>

#include "event/dispatcher_impl.h"

namespace gateway::event {

class TcpStreamImpl : public TcpStream {
public:
  using Box = HandleBox<uv_tcp_t, TcpStreamImpl>;
  // Default high-water mark of accepted streams (listenTcp has no parameter for it).
  static constexpr size_t kDefaultHighWater = 64 * 1024;

  // Takes ownership of `box`: an initialised (bound), connected uv_tcp_t whose owner is unset.
  TcpStreamImpl(DispatcherImpl& dispatcher, Box* box, size_t writeHighWater);
  ~TcpStreamImpl() override;

  // TcpStream
  void setCallbacks(StreamCallbacks* callbacks) override;
  void readDisable(bool disable) override;
  Status write(std::string&& data) override;
  size_t bufferedBytes() const override;
  bool writeBufferFull() const override;
  void closeAfterWrite() override;
  void closeNow() override;
  void shutdownWrite() override;
  std::string peerAddress() const override { return peerAddress_; }
  uint16_t peerPort() const override { return peerPort_; }
  uint16_t localPort() const override { return localPort_; }
  bool isOpen() const override { return box_ != nullptr; }

  // Called by the dispatcher at the end of the iteration (after scheduleFlush).
  void flushNow();

private:
  struct WriteOp;
  struct ShutdownOp;
  static void onRead(uv_stream_t* handle, ssize_t nread, const uv_buf_t* buf);
  static void onWriteDone(uv_write_t* req, int status);
  static void onShutdownDone(uv_shutdown_t* req, int status);

  void updateReading();
  void scheduleFlush();
  // After a write completed: next batch, drained notification, pending shutdown/close.
  void afterWrite();
  void maybeShutdown();
  // Closes the handle and reports `reason` through onClose (last callback).
  void closeWithReason(const Status& reason);
  void releaseHandle();

  DispatcherImpl& dispatcher_;
  Box* box_;  // Null once closed.
  StreamCallbacks* callbacks_{nullptr};
  bool readDisabled_{false};
  bool reading_{false};
  bool eof_{false};

  std::vector<std::string> pending_;  // Queued, not yet handed to uv_write.
  size_t pendingBytes_{0};
  bool flushScheduled_{false};
  bool writeInFlight_{false};
  bool aboveHighWater_{false};
  size_t highWater_;
  size_t lowWater_;

  bool closeAfterWrite_{false};   // closeAfterWrite() called.
  bool shutdownRequested_{false}; // shutdownWrite() or closeAfterWrite() called.
  bool shutdownStarted_{false};

  std::string peerAddress_;
  uint16_t peerPort_{0};
  uint16_t localPort_{0};
};

// Fills address/port from a sockaddr (IPv4 or IPv6).
void sockaddrToString(const sockaddr* sa, std::string& address, uint16_t& port);

} // namespace gateway::event
