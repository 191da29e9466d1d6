#pragma once

// Decodes an EventBatch (plugin_service.proto) from its wire bytes. A PhaseCall is decoded straight
// into the SDK's value types (PhaseInput and the instance ids), without a protobuf message in
// between: that is the hot path, one per request and phase. FetchResults (rare) go through the
// generated message and fromProto.
//
// It accepts and rejects what protobuf's parser does for these messages: unknown fields are
// skipped, a field with an unexpected wire type is treated as unknown, the last value of a scalar
// wins, repeated message fields merge, and a string field that is not valid UTF-8 makes the whole
// batch invalid (like any malformed input).

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <vector>

#include "gantry_pdk/types.h"

namespace gantry_pdk::detail {

// What a PhaseCall carries for the dispatcher.
struct PhaseCallInput {
  std::vector<uint64_t> instanceIds;
  PhaseInput input;
};

struct DecodedEvent {
  enum class Kind { None, PhaseCall, FetchResult, Cancel };
  uint64_t requestId = 0;
  uint32_t seq = 0;
  Kind kind = Kind::None;
  std::unique_ptr<PhaseCallInput> call;  // Kind::PhaseCall.
  uint32_t fetchId = 0;                  // Kind::FetchResult.
  std::optional<FetchAnswer> answer;     // Kind::FetchResult.
};

// Recycled PhaseCallInputs: about 1 KiB each, which glibc's malloc serves from its large bins
// (and a malloc_consolidate) once its per-thread cache is empty, several times per batch. Taken by
// the decoder and given back by the call that consumed one, on any thread.
class PhaseCallPool {
public:
  static constexpr size_t kKeep = 256;
  std::unique_ptr<PhaseCallInput> take();
  // Resets `call` to a default PhaseCallInput (keeping the ids' capacity) and keeps it.
  void giveBack(std::unique_ptr<PhaseCallInput> call);

private:
  std::mutex mutex_;
  std::vector<std::unique_ptr<PhaseCallInput>> free_;  // Guarded by mutex_.
};

// Appends the events of the EventBatch in `bytes` to `out` (in order); false if `bytes` is not a
// valid EventBatch (then `out` holds whatever was decoded before the error). PhaseCallInputs come
// from `pool` when given.
bool decodeEventBatch(std::string_view bytes, std::vector<DecodedEvent>& out,
                      PhaseCallPool* pool = nullptr);

}  // namespace gantry_pdk::detail
