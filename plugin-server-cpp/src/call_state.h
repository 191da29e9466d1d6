#pragma once

// The state of one phase call while its instances run: a private copy of the snapshot, the
// mutations recorded so far (applied to that copy as they are recorded) and the way to fetch
// lazy data. Owned by the dispatcher (runPhase) for the duration of the call; used by one worker
// thread only.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gantry_pdk/types.h"

namespace gantry_pdk::detail {

// Answers lazy fetches of one call. Implemented by the gRPC stream (a Fetch reply and a wait for
// the FetchResult) and by the test harness (fixtures).
class Fetcher {
public:
  virtual ~Fetcher() = default;
  // Blocks until the answer arrives. Throws gantry_pdk::Cancelled when the call was cancelled or
  // the stream ended.
  virtual FetchAnswer fetch(FetchRequest request) = 0;
  // True once the core cancelled the call.
  virtual bool cancelled() const = 0;
};

class CallState {
public:
  // Owns `input`.
  CallState(PhaseInput input, Fetcher& fetcher)
      : owned_(std::move(input)), input_(*owned_), fetcher_(fetcher) {}
  // Works on the caller's `input` in place; it must outlive the call state.
  struct InPlace {};
  CallState(PhaseInput& input, Fetcher& fetcher, InPlace) : input_(input), fetcher_(fetcher) {}
  CallState(const CallState&) = delete;
  CallState& operator=(const CallState&) = delete;

  const PhaseInput& input() const { return input_; }
  PhaseInput& mutableInput() { return input_; }

  // Starts running `instanceId`: its mutations are tagged with it.
  void beginInstance(uint64_t instanceId) { currentInstance_ = instanceId; }
  // Records a mutation of the current instance and applies it to the snapshot copy. Ignored
  // after an exit.
  void record(MutationOp op);
  bool exited() const { return exited_; }

  std::vector<Mutation>& mutations() { return mutations_; }

  // Lazy fetch (see Fetcher); throws Cancelled.
  FetchAnswer fetch(FetchRequest request);

  // The response snapshot, created empty when the phase has none (rewrite, access) so response
  // header setters there are visible to later getters.
  ResponseSnapshot& response();
  const Headers& responseHeaders() const;

private:
  std::optional<PhaseInput> owned_;  // Set by the owning constructor.
  PhaseInput& input_;                // *owned_ or the caller's.
  Fetcher& fetcher_;  // Owned by the caller of runPhase; outlives the call.
  uint64_t currentInstance_ = 0;
  std::vector<Mutation> mutations_;
  bool exited_ = false;
};

// Case-insensitive ASCII comparison of header names.
bool headerNameEquals(std::string_view a, std::string_view b);
// Applies a SET/ADD/CLEAR header mutation to a header list.
void applyHeader(Headers& headers, HeaderAction action, std::string_view name,
                 std::string_view value);

}  // namespace gantry_pdk::detail
