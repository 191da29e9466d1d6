#pragma once

// The plugin conversation of one request: the per-request state machine (STYLE.md 16). A phase
// is a sequence of PhaseCalls ("segments": consecutive plugins of one server; in access also cut
// where a consumer may re-resolve later plugins, see plan.h nextCollectingSegment). Each segment
// waits for its PhaseResult, answers Fetches meanwhile, applies the mutations, then either goes
// on with the next segment or ends the phase (exit, failure by policy, or done).
//
//   Waiting::Nothing      no phase running (between phases, or after done ran).
//   Waiting::Result       a PhaseCall is in flight on `link_`, key (requestId, seq_).
//   Waiting::Reconfigure  the server did not know an instance; the manager re-sends Configure,
//                         then the segment is retried once.
//
// Failure policy (per plugin entity, fail closed unless fail_open): a handler error fails the
// request with 500 unless that plugin is fail-open (then it is skipped and the rest of the
// segment runs); a timeout (504) or an unavailable server (500) fails the request unless every
// plugin of the segment is fail-open (then the segment is skipped). A timed-out segment mixing
// both kinds is sent again without its fail-open plugins. Never silently: each skip is counted
// and logged at warn.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gateway/plugin/runtime.h"
#include "plugin/mutation_applier.h"
#include "plugin/plan.h"
#include "plugin/server_link.h"
#include "plugin/worker_context.h"

namespace gateway::plugin {

class RequestPluginsImpl : public RequestPlugins, public CallHandler {
public:
  RequestPluginsImpl(WorkerContext& worker, PlanDataSharedPtr plan, proxy::RequestState& state,
                     RequestDataSource& source);
  ~RequestPluginsImpl() override;

  // RequestPlugins
  bool wants(Phase phase) const override;
  bool needsRequestBody(Phase phase) const override;
  void runPhase(Phase phase, proxy::RequestState& state, PhaseDoneCallback done) override;
  void runLog(const proxy::RequestState& state) override;

  // CallHandler
  void onReply(v1::Reply& reply) override;
  void onCallFailed(CallFailure failure) override;

private:
  enum class Waiting { Nothing, Result, Reconfigure };

  InstanceList candidates(Phase phase) const;
  ScopeIds scope(const proxy::RequestState& state) const;
  void nextSegment();
  void sendSegment();
  void handleResult(const v1::PhaseResult& result);
  void handleFetch(const v1::Fetch& fetch);
  void sendFetchResult(const v1::Fetch& fetch);
  void finish(PhaseOutcome outcome);
  void fail(int status, std::string message);

  WorkerContext& worker_;
  PlanDataSharedPtr plan_;
  proxy::RequestState* state_;     // Borrowed from the proxy for the request's life.
  RequestDataSource& source_;
  uint64_t requestId_;
  uint32_t seq_{0};

  // The phase in progress.
  Phase phase_{Phase::Rewrite};
  PhaseDoneCallback done_;
  Waiting waiting_{Waiting::Nothing};
  std::vector<InstanceList> segments_;   // Non-collecting phases.
  size_t nextSegment_{0};
  InstanceList current_;                 // The segment in flight.
  ServerLink* link_{nullptr};
  bool retriedUnknownInstance_{false};

  // kong.response.set_header & co. from rewrite/access, applied when the response exists (at the
  // start of the first response-side phase; wants(HeaderFilter) is true while any wait, so the
  // proxy runs that phase even with no header_filter plugin: no round trip is made then).
  PendingHeaders pendingResponseHeaders_;

  // The collecting access phase.
  bool accessRan_{false};
  size_t accessCursor_{0};
  InstanceList collected_;

  // Request body for Fetch.request_body (read at most once).
  enum class Body { NotRead, Reading, Read, Failed } body_{Body::NotRead};
  std::string_view bodyView_;
  std::vector<v1::Fetch> bodyWaiters_;

  std::shared_ptr<bool> alive_;  // For callbacks that may outlive this object.
};

// A log-phase call: owns what it needs (the plan, a copy of the match) and lives in the
// WorkerContext until its result, timeout or the worker's end; never delays the client.
class LogCall : public CallHandler {
public:
  LogCall(WorkerContext& worker, PlanDataSharedPtr plan, const proxy::RequestState& state,
          InstanceList instances);
  ~LogCall() override;
  void start(const proxy::RequestState& state);

  // CallHandler
  void onReply(v1::Reply& reply) override;
  void onCallFailed(CallFailure failure) override;

private:
  WorkerContext& worker_;
  PlanDataSharedPtr plan_;
  InstanceList instances_;
  uint64_t requestId_;
  uint32_t seq_;
  const config::Route* route_;
  const config::Service* service_;
  std::optional<router::RouteMatch> match_;
  ServerLink* link_{nullptr};
  bool inFlight_{false};
};

// Formats the plugin names of a list ("key-auth, acl").
std::string pluginNames(const InstanceList& list);

} // namespace gateway::plugin
