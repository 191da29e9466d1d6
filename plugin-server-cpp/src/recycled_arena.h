#pragma once

// A protobuf arena holding one message, whose first block is allocated once and kept across
// reset(): a message parsed (or built), dropped and parsed again costs no malloc for the arena
// while it fits in the block (strings longer than the small-string buffer still allocate).
//
// Protobuf binds an arena's first block to the thread that resets it; another thread allocating
// on the arena gets a block of its own (one malloc). So reset on the thread that will fill it.

#include <google/protobuf/arena.h>

#include <cstddef>
#include <memory>

namespace gantry_pdk::detail {

template <class Message> class RecycledArena {
public:
  explicit RecycledArena(size_t blockBytes)
      : block_(new char[blockBytes]), arena_([&] {
          google::protobuf::ArenaOptions o;
          o.initial_block = block_.get();
          o.initial_block_size = blockBytes;
          o.start_block_size = 8192;  // Blocks beyond the first, for big messages.
          return o;
        }()),
        message_(google::protobuf::Arena::CreateMessage<Message>(&arena_)) {}
  RecycledArena(const RecycledArena&) = delete;
  RecycledArena& operator=(const RecycledArena&) = delete;

  // On the arena; valid until reset().
  Message& message() { return *message_; }
  const Message& message() const { return *message_; }

  // Frees everything on the arena but the first block and creates a new empty message.
  void reset() {
    arena_.Reset();
    message_ = google::protobuf::Arena::CreateMessage<Message>(&arena_);
  }

private:
  std::unique_ptr<char[]> block_;  // Outlives arena_ (declared first).
  google::protobuf::Arena arena_;
  Message* message_;
};

}  // namespace gantry_pdk::detail
