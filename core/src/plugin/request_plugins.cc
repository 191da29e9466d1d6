#include "plugin/request_plugins.h"

#include <algorithm>
#include <chrono>

#include "plugin/fetch_responder.h"
#include "plugin/mutation_applier.h"

namespace gateway::plugin {
namespace {

std::chrono::milliseconds totalTimeout(const InstanceList& list) {
  std::chrono::milliseconds sum{0};
  for (const auto* i : list) {
    sum += i->timeout;
  }
  return sum;
}

bool allFailOpen(const InstanceList& list) {
  for (const auto* i : list) {
    if (!i->failOpen) {
      return false;
    }
  }
  return true;
}

std::string levelOf(v1::LogLevel level) {
  std::string l = logLevelName(level);
  return l;
}

// Counts and logs what the applier rejected or logged.
void report(WorkerContext& worker, const PlanData& plan, const ApplyResult& result, size_t server) {
  for (const auto& r : result.rejections) {
    const auto* inst = plan.instanceById(r.instanceId);
    const std::string name = inst ? inst->plugin->name : "instance " + std::to_string(r.instanceId);
    bump(worker.counters.rejectedMutations);
    bump(worker.servers[server]->counters.rejectedMutations);
    worker.log("warn", "plugin \"" + name + "\": rejected " + r.op + " mutation: " + r.reason);
  }
  for (const auto& l : result.logLines) {
    const auto* inst = plan.instanceById(l.instanceId);
    worker.log(levelOf(l.level), "[plugin:" + (inst ? inst->plugin->name : std::string("?")) +
                                     "] " + l.message);
  }
}

} // namespace

std::string pluginNames(const InstanceList& list) {
  std::string out;
  for (const auto* i : list) {
    out += (out.empty() ? "" : ", ") + i->plugin->name;
  }
  return out;
}

RequestPluginsImpl::RequestPluginsImpl(WorkerContext& worker, PlanDataSharedPtr plan,
                                       proxy::RequestState& state, RequestDataSource& source)
    : worker_(worker), plan_(std::move(plan)), state_(&state), source_(source),
      requestId_(state.id), alive_(std::make_shared<bool>(true)) {
  bump(worker_.counters.requestsWithPlugins);
}

RequestPluginsImpl::~RequestPluginsImpl() {
  *alive_ = false;
  if (waiting_ == Waiting::Result && link_ != nullptr) {
    link_->cancelCall(requestId_, seq_);
  }
}

ScopeIds RequestPluginsImpl::scope(const proxy::RequestState& state) const {
  ScopeIds s;
  s.route = state.route ? std::string_view(state.route->id) : std::string_view();
  s.service = state.service ? std::string_view(state.service->id) : std::string_view();
  s.consumer = state.consumer ? std::string_view(state.consumer->id) : std::string_view();
  s.scheme = state.scheme;
  return s;
}

InstanceList RequestPluginsImpl::candidates(Phase phase) const {
  InstanceList out;
  const auto& plan = *plan_;
  if (phase == Phase::Rewrite) {
    for (const auto* i : resolveAll(plan, ScopeIds{{}, {}, {}, state_->scheme})) {
      if (i->plugin->implements(phase)) {
        out.push_back(i);
      }
    }
    return out;
  }
  if (accessRan_ && phase != Phase::Access) {
    for (const auto* i : collected_) {
      if (i->plugin->implements(phase)) {
        out.push_back(i);
      }
    }
    return out;
  }
  const ScopeIds s = scope(*state_);
  for (const auto& slot : plan.slots()) {
    const PlanInstance* i = s.consumer.empty() && phase == Phase::Access
                                ? plan.anyCandidate(slot, s.route, s.service, s.scheme)
                                : plan.resolve(slot, s.route, s.service, s.consumer, s.scheme);
    if (i != nullptr && i->plugin->implements(phase)) {
      out.push_back(i);
    }
  }
  return out;
}

bool RequestPluginsImpl::wants(Phase phase) const {
  if (phase == Phase::HeaderFilter && !pendingResponseHeaders_.empty()) {
    return true;
  }
  return !candidates(phase).empty();
}

bool RequestPluginsImpl::needsRequestBody(Phase phase) const {
  for (const auto* i : candidates(phase)) {
    if (i->plugin->needsBody(phase)) {
      return true;
    }
  }
  return false;
}

void RequestPluginsImpl::runPhase(Phase phase, proxy::RequestState& state,
                                  PhaseDoneCallback done) {
  state_ = &state;
  phase_ = phase;
  done_ = std::move(done);
  retriedUnknownInstance_ = false;
  segments_.clear();
  nextSegment_ = 0;
  if (phase == Phase::Response || phase == Phase::HeaderFilter) {
    applyPendingResponseHeaders(pendingResponseHeaders_, state.response.headers);
  }
  if (phase == Phase::Access) {
    accessRan_ = true;
    accessCursor_ = 0;
    collected_.clear();
  } else {
    InstanceList list;
    if (phase == Phase::Rewrite) {
      list = resolveAll(*plan_, ScopeIds{{}, {}, {}, state.scheme});
    } else if (accessRan_) {
      list = collected_;
    } else {
      list = resolveAll(*plan_, scope(state));
    }
    segments_ = segmentsByServer(list, phase);
  }
  nextSegment();
}

void RequestPluginsImpl::nextSegment() {
  retriedUnknownInstance_ = false;
  if (phase_ == Phase::Access) {
    current_ = nextCollectingSegment(*plan_, scope(*state_), Phase::Access, accessCursor_,
                                     collected_);
  } else if (nextSegment_ < segments_.size()) {
    current_ = segments_[nextSegment_++];
  } else {
    current_.clear();
  }
  if (current_.empty()) {
    finish(PhaseOutcome{});
    return;
  }
  sendSegment();
}

void RequestPluginsImpl::sendSegment() {
  const size_t server = current_.front()->plugin->serverIndex;
  link_ = &worker_.link(server, requestId_);
  ++seq_;
  bool body = false;
  for (const auto* i : current_) {
    body = body || i->plugin->needsBody(phase_);
  }
  link_->queuePhaseCall(requestId_, seq_, phase_, *state_, current_, body);
  waiting_ = Waiting::Result;
  bump(worker_.counters.phaseCalls);
  link_->startCall(requestId_, seq_, totalTimeout(current_), *this);
}

void RequestPluginsImpl::onReply(v1::Reply& reply) {
  if (waiting_ != Waiting::Result) {
    return;
  }
  if (reply.has_fetch()) {
    bump(worker_.counters.fetches);
    handleFetch(reply.fetch());
    return;
  }
  waiting_ = Waiting::Nothing;
  handleResult(reply.result());
}

void RequestPluginsImpl::handleFetch(const v1::Fetch& fetch) {
  if (fetch.what_case() == v1::Fetch::kRequestBody && !state_->requestBody &&
      body_ != Body::Read && body_ != Body::Failed) {
    bodyWaiters_.push_back(fetch);
    if (body_ == Body::NotRead) {
      body_ = Body::Reading;
      source_.readRequestBody([this, alive = alive_](StatusOr<std::string_view> body) {
        if (!*alive) {
          return;
        }
        if (body.isOk()) {
          body_ = Body::Read;
          bodyView_ = body.value();
        } else {
          body_ = Body::Failed;
        }
        auto waiters = std::move(bodyWaiters_);
        bodyWaiters_.clear();
        for (const auto& f : waiters) {
          sendFetchResult(f);
        }
      });
    }
    return;
  }
  sendFetchResult(fetch);
}

void RequestPluginsImpl::sendFetchResult(const v1::Fetch& fetch) {
  if (waiting_ != Waiting::Result || link_ == nullptr) {
    return;  // The call is over; nobody waits for the answer.
  }
  std::string bodyCopy;
  FetchContext ctx;
  ctx.index = &plan_->index();
  ctx.route = state_->route;
  ctx.service = state_->service;
  ctx.match = state_->match ? &*state_->match : nullptr;
  ctx.nodeId = worker_.nodeId;
  if (state_->requestBody) {
    ctx.requestBody = &*state_->requestBody;
  } else if (body_ == Body::Read) {
    bodyCopy.assign(bodyView_);
    ctx.requestBody = &bodyCopy;
  } else if (body_ == Body::Failed) {
    ctx.requestBodyAvailable = false;
  }
  v1::Event& event = link_->nextEvent();
  event.set_request_id(requestId_);
  event.set_seq(seq_);
  answerFetch(fetch, ctx, *event.mutable_fetch_result());
}

void RequestPluginsImpl::handleResult(const v1::PhaseResult& result) {
  const size_t server = current_.front()->plugin->serverIndex;
  ApplyOptions options;
  options.phase = phase_;
  options.limits = worker_.limits;
  options.pendingResponseHeaders = &pendingResponseHeaders_;
  options.pluginName = [plan = plan_.get()](uint64_t id) {
    const auto* i = plan->instanceById(id);
    return i ? i->plugin->name : std::string("?");
  };
  ApplyResult applied = applyMutations(result.mutations(), *state_, plan_->index(), options);
  report(worker_, *plan_, applied, server);
  if (applied.fatal) {
    // The detail goes to the error log (report() logged the rejection), never to the client.
    worker_.log("error", "plugins " + pluginNames(current_) + " produced an invalid exit in " +
                             phaseName(phase_) + " (" + *applied.fatal + "); failing the request");
    fail(500, "An unexpected error occurred");
    return;
  }
  if (applied.exited) {
    // Rewrite/access: RequestState::exit holds the reply. Response-side phases: the exit changed
    // the response in place (the proxy goes on sending it); the rest of the phase is skipped.
    const int status = state_->exit ? state_->exit->status : state_->response.status;
    finish(PhaseOutcome{PhaseOutcome::Kind::Exit, status, {}});
    return;
  }
  if (result.has_error()) {
    const auto& err = result.error();
    const size_t completed = std::min<size_t>(result.completed(), current_.size() - 1);
    if (err.kind() == v1::PluginError::KIND_UNKNOWN_INSTANCE && !retriedUnknownInstance_) {
      retriedUnknownInstance_ = true;
      current_.erase(current_.begin(), current_.begin() + completed);
      std::vector<uint64_t> ids;
      for (const auto* i : current_) {
        ids.push_back(i->instanceId);
      }
      waiting_ = Waiting::Reconfigure;
      worker_.reconfigure(server, std::move(ids), [this, alive = alive_](bool ok) {
        if (!*alive || waiting_ != Waiting::Reconfigure) {
          return;
        }
        if (!ok) {
          fail(500, "plugin server could not re-configure instances of " +
                        pluginNames(current_));
          return;
        }
        sendSegment();
      });
      return;
    }
    const PlanInstance* failed = current_[completed];
    bump(worker_.counters.failures);
    bump(worker_.servers[server]->counters.failures);
    if (!failed->failOpen) {
      worker_.log("error", "plugin \"" + failed->plugin->name + "\" failed in " +
                               phaseName(phase_) + ": " + err.message());
      fail(500, "An unexpected error occurred");
      return;
    }
    worker_.log("warn", "plugin \"" + failed->plugin->name + "\" failed in " +
                            phaseName(phase_) + " (fail-open, skipped): " + err.message());
    current_.erase(current_.begin(), current_.begin() + completed + 1);
    if (!current_.empty()) {
      sendSegment();
      return;
    }
  }
  nextSegment();
}

void RequestPluginsImpl::onCallFailed(CallFailure failure) {
  if (waiting_ != Waiting::Result) {
    return;
  }
  waiting_ = Waiting::Nothing;
  const size_t server = current_.front()->plugin->serverIndex;
  const bool timeout = failure == CallFailure::Timeout;
  if (timeout) {
    bump(worker_.counters.timeouts);
  } else {
    bump(worker_.counters.failures);
    bump(worker_.servers[server]->counters.failures);
  }
  const std::string what = timeout ? "timed out" : "plugin server unavailable";
  if (timeout && !allFailOpen(current_) &&
      std::any_of(current_.begin(), current_.end(), [](auto* i) { return i->failOpen; })) {
    // A mixed segment timed out: skip its fail-open plugins and run the fail-closed ones again
    // on their own (their results never arrived, so nothing of them was applied; a plugin with
    // side effects may see the request twice).
    InstanceList skipped, rest;
    for (const auto* i : current_) {
      (i->failOpen ? skipped : rest).push_back(i);
    }
    worker_.log("warn", "plugins " + pluginNames(current_) + " timed out in " +
                            phaseName(phase_) + "; skipping fail-open " + pluginNames(skipped) +
                            " and retrying " + pluginNames(rest));
    current_ = std::move(rest);
    sendSegment();
    return;
  }
  if (allFailOpen(current_)) {
    worker_.log("warn", "plugins " + pluginNames(current_) + " " + what + " in " +
                            phaseName(phase_) + " (fail-open, skipped)");
    nextSegment();
    return;
  }
  worker_.log("error", "plugins " + pluginNames(current_) + " " + what + " in " +
                           phaseName(phase_));
  if (timeout) {
    fail(504, "The plugin server is timing out");
  } else {
    fail(500, "An unexpected error occurred");
  }
}

void RequestPluginsImpl::fail(int status, std::string message) {
  finish(PhaseOutcome{PhaseOutcome::Kind::Fail, status, std::move(message)});
}

void RequestPluginsImpl::finish(PhaseOutcome outcome) {
  waiting_ = Waiting::Nothing;
  link_ = nullptr;
  auto done = std::move(done_);
  done_ = nullptr;
  if (done) {
    done(std::move(outcome));  // May destroy this.
  }
}

void RequestPluginsImpl::runLog(const proxy::RequestState& state) {
  InstanceList list = accessRan_ ? collected_ : resolveAll(*plan_, scope(state));
  for (auto& segment : segmentsByServer(list, Phase::Log)) {
    auto call = std::make_unique<LogCall>(worker_, plan_, state, std::move(segment));
    call->start(state);
    worker_.adoptLogCall(std::move(call));
  }
}

// ---- LogCall ----

namespace {
uint32_t nextLogSeq() {
  // Log calls use seq numbers from the top of the range so they never collide with the
  // request's own phase calls (which count up from 1).
  static thread_local uint32_t seq = 0x80000000u;
  return ++seq;
}
} // namespace

LogCall::LogCall(WorkerContext& worker, PlanDataSharedPtr plan, const proxy::RequestState& state,
                 InstanceList instances)
    : worker_(worker), plan_(std::move(plan)), instances_(std::move(instances)),
      requestId_(state.id), seq_(nextLogSeq()), route_(state.route), service_(state.service),
      match_(state.match) {}

LogCall::~LogCall() {
  if (inFlight_ && link_ != nullptr) {
    link_->cancelCall(requestId_, seq_);
  }
}

void LogCall::start(const proxy::RequestState& state) {
  link_ = &worker_.link(instances_.front()->plugin->serverIndex, requestId_);
  link_->queuePhaseCall(requestId_, seq_, Phase::Log, state, instances_, false);
  inFlight_ = true;
  bump(worker_.counters.phaseCalls);
  std::chrono::milliseconds timeout{0};
  for (const auto* i : instances_) {
    timeout += i->timeout;
  }
  link_->startCall(requestId_, seq_, timeout, *this, /*logPhase=*/true);
}

void LogCall::onReply(v1::Reply& reply) {
  if (reply.has_fetch()) {
    bump(worker_.counters.fetches);
    FetchContext ctx;
    ctx.index = &plan_->index();
    ctx.route = route_;
    ctx.service = service_;
    ctx.match = match_ ? &*match_ : nullptr;
    ctx.requestBodyAvailable = false;
    ctx.nodeId = worker_.nodeId;
    v1::Event& event = link_->nextEvent();
    event.set_request_id(requestId_);
    event.set_seq(seq_);
    answerFetch(reply.fetch(), ctx, *event.mutable_fetch_result());
    return;
  }
  inFlight_ = false;
  if (reply.result().mutations_size() > 0) {
    // Only log lines count after the response; the rest is checked, counted and dropped.
    proxy::RequestState scratch;
    ApplyOptions options;
    options.phase = Phase::Log;
    options.limits = worker_.limits;
    ApplyResult applied =
        applyMutations(reply.result().mutations(), scratch, plan_->index(), options);
    report(worker_, *plan_, applied, instances_.front()->plugin->serverIndex);
  }
  if (reply.result().has_error()) {
    bump(worker_.counters.failures);
    worker_.log("warn", "plugins " + pluginNames(instances_) +
                            " failed in log: " + reply.result().error().message());
  }
  worker_.dropLogCall(this);  // Destroys this.
}

void LogCall::onCallFailed(CallFailure failure) {
  inFlight_ = false;
  if (failure == CallFailure::Timeout) {
    bump(worker_.counters.timeouts);
  } else {
    bump(worker_.counters.failures);
  }
  worker_.log("warn", "plugins " + pluginNames(instances_) + " log phase " +
                          (failure == CallFailure::Timeout ? "timed out" : "not delivered"));
  worker_.dropLogCall(this);  // Destroys this.
}

} // namespace gateway::plugin
