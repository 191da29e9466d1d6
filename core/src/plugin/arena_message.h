#pragma once

// A protobuf message that lives on an arena whose first block is reused: filling, clearing and
// refilling it costs no malloc once the block is big enough for the usual message. A reused heap
// message does not give that: Clear() deletes a oneof's sub-message (Event.kind, Reply.kind), so
// every PhaseCall, snapshot and header was allocated and freed again per event.
//
// Not thread-safe; one owner at a time. reset() invalidates every reference into the message.

#include <cstddef>
#include <memory>

#include <google/protobuf/arena.h>

namespace gateway::plugin {

template <typename Message> class ArenaMessage {
public:
  // `blockBytes`: the reused first block; larger messages spill into blocks freed by reset().
  explicit ArenaMessage(size_t blockBytes)
      : block_(std::make_unique<char[]>(blockBytes)), arena_(options(block_.get(), blockBytes)),
        message_(google::protobuf::Arena::CreateMessage<Message>(&arena_)) {}
  ArenaMessage(const ArenaMessage&) = delete;
  ArenaMessage& operator=(const ArenaMessage&) = delete;

  Message& get() { return *message_; }
  const Message& get() const { return *message_; }
  Message* operator->() { return message_; }
  const Message* operator->() const { return message_; }

  // Frees everything the message holds in one go and starts an empty message.
  void reset() {
    arena_.Reset();
    message_ = google::protobuf::Arena::CreateMessage<Message>(&arena_);
  }

private:
  static google::protobuf::ArenaOptions options(char* block, size_t size) {
    google::protobuf::ArenaOptions o;
    o.initial_block = block;
    o.initial_block_size = size;
    o.start_block_size = 16 * 1024;
    o.max_block_size = 256 * 1024;
    return o;
  }

  std::unique_ptr<char[]> block_;  // Declared before arena_: outlives it.
  google::protobuf::Arena arena_;
  Message* message_;  // Owned by arena_.
};

} // namespace gateway::plugin
