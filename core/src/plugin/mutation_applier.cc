#include "plugin/mutation_applier.h"

#include "gateway/http/header_map.h"

namespace gateway::plugin {
namespace {

void applyHeader(http::HeaderMap& headers, const v1::HeaderMutation& m) {
  switch (m.action()) {
  case v1::HEADER_ACTION_SET:
    headers.set(m.name(), m.value());
    break;
  case v1::HEADER_ACTION_ADD:
    headers.add(m.name(), m.value());
    break;
  case v1::HEADER_ACTION_CLEAR:
    headers.remove(m.name());
    break;
  default:
    break;  // Rejected by rules::checkHeaderMutation before we get here.
  }
}

bool isRequestPhase(Phase phase) { return phase == Phase::Rewrite || phase == Phase::Access; }

// Sets the exit's headers on `headers`: the first value of each name replaces what was there,
// later values of the same name are added. Invalid headers are rejections.
void setExitHeaders(const v1::Mutation& mutation, http::HeaderMap& headers, ApplyResult& result) {
  std::vector<std::string> seen;
  for (const auto& h : mutation.exit().headers()) {
    if (auto s = rules::checkHeaderField(h.name(), h.value()); !s) {
      result.rejections.push_back({mutation.instance_id(), "exit.headers", s.message()});
      continue;
    }
    bool first = true;
    for (const auto& name : seen) {
      if (http::iequals(name, h.name())) {
        first = false;
        break;
      }
    }
    if (first) {
      seen.push_back(h.name());
      headers.set(h.name(), h.value());
    } else {
      headers.add(h.name(), h.value());
    }
  }
}

// Exit in the response/header_filter phases: changes the response that exists.
Status applyResponseExit(const v1::Mutation& mutation, proxy::RequestState& state,
                         const ApplyOptions& options, ApplyResult& result) {
  const auto& exit = mutation.exit();
  if (auto s = rules::checkResponseStatus(exit.status()); !s) {
    return s;
  }
  if (options.phase == Phase::Response) {
    if (auto s = rules::checkBodySize(exit.body().size(), options.limits); !s) {
      return s;
    }
    state.responseBody = exit.has_body() ? exit.body() : std::string();
  } else if (exit.has_body() && !exit.body().empty()) {
    result.rejections.push_back({mutation.instance_id(), "exit.body",
                                 "an exit body is not allowed in the header_filter phase "
                                 "(status and headers applied)"});
  }
  state.response.status = exit.status();
  state.response.reason.clear();
  setExitHeaders(mutation, state.response.headers, result);
  state.responseSource = "exit";
  result.exited = true;
  return Status::ok();
}

// Builds the exit reply, dropping invalid headers (reported as rejections).
Status applyExit(const v1::Mutation& mutation, proxy::RequestState& state,
                 const ApplyOptions& options, ApplyResult& result) {
  if (!isRequestPhase(options.phase)) {
    return applyResponseExit(mutation, state, options, result);
  }
  const auto& exit = mutation.exit();
  if (auto s = rules::checkExitStatus(exit.status()); !s) {
    result.fatal = s.message();
    return s;
  }
  if (auto s = rules::checkBodySize(exit.body().size(), options.limits); !s) {
    result.fatal = s.message();
    return s;
  }
  proxy::LocalReply reply;
  reply.status = exit.status();
  reply.hasBody = exit.has_body();
  if (exit.has_body()) {
    reply.body = exit.body();
  }
  if (options.pendingResponseHeaders != nullptr) {
    applyPendingResponseHeaders(*options.pendingResponseHeaders, reply.headers);
  }
  setExitHeaders(mutation, reply.headers, result);
  state.exit = std::move(reply);
  state.responseSource = "exit";
  result.exited = true;
  return Status::ok();
}

} // namespace

void applyPendingResponseHeaders(PendingHeaders& pending, http::HeaderMap& headers) {
  for (const auto& m : pending) {
    applyHeader(headers, m);
  }
  pending.clear();
}

const char* logLevelName(v1::LogLevel level) {
  switch (level) {
  case v1::LOG_LEVEL_DEBUG: return "debug";
  case v1::LOG_LEVEL_INFO: return "info";
  case v1::LOG_LEVEL_NOTICE: return "notice";
  case v1::LOG_LEVEL_WARN: return "warn";
  case v1::LOG_LEVEL_ERR: return "error";
  case v1::LOG_LEVEL_CRIT: return "crit";
  case v1::LOG_LEVEL_ALERT: return "alert";
  default: return "notice";
  }
}

Status applyMutation(const v1::Mutation& m, proxy::RequestState& state, const ConfigIndex& index,
                     const ApplyOptions& options, ApplyResult& result) {
  using M = v1::Mutation;
  if (auto s = rules::allowedInPhase(m.op_case(), options.phase); !s) {
    return s;
  }
  Status s;
  switch (m.op_case()) {
  case M::kRequestHeader:
    if ((s = rules::checkHeaderMutation(m.request_header()))) {
      applyHeader(state.request.headers, m.request_header());
    }
    break;
  case M::kResponseHeader:
    if ((s = rules::checkHeaderMutation(m.response_header()))) {
      if (!isRequestPhase(options.phase)) {
        applyHeader(state.response.headers, m.response_header());
      } else if (options.pendingResponseHeaders != nullptr) {
        options.pendingResponseHeaders->push_back(m.response_header());
      } else {
        s = invalidArgument("response headers cannot be set before the response here");
      }
    }
    break;
  case M::kRequestPath:
    if ((s = rules::checkPath(m.request_path()))) {
      state.upstreamPath = m.request_path();
    }
    break;
  case M::kRequestRawQuery:
    if ((s = rules::checkRawQuery(m.request_raw_query()))) {
      state.upstreamQuery = m.request_raw_query();
    }
    break;
  case M::kRequestMethod:
    if ((s = rules::checkMethod(m.request_method()))) {
      state.upstreamMethod = m.request_method();
    }
    break;
  case M::kRequestScheme:
    if ((s = rules::checkScheme(m.request_scheme()))) {
      state.upstreamScheme = m.request_scheme();
    }
    break;
  case M::kRequestBody:
    if ((s = rules::checkBodySize(m.request_body().size(), options.limits))) {
      state.upstreamBody = m.request_body();
    }
    break;
  case M::kTarget:
    if ((s = rules::checkTarget(m.target()))) {
      state.upstreamTarget =
          upstream::Endpoint{m.target().host(), static_cast<uint16_t>(m.target().port())};
    }
    break;
  case M::kUpstream:
    if (!index.hasUpstream(m.upstream())) {
      s = invalidArgument("unknown upstream \"" + m.upstream() + "\"");
    } else {
      state.upstreamName = m.upstream();
    }
    break;
  case M::kResponseStatus:
    if ((s = rules::checkResponseStatus(m.response_status()))) {
      state.response.status = m.response_status();
      state.response.reason.clear();
    }
    break;
  case M::kResponseBody:
    if ((s = rules::checkBodySize(m.response_body().size(), options.limits))) {
      state.responseBody = m.response_body();
    }
    break;
  case M::kShared:
    if ((s = rules::checkSharedKey(m.shared().key())) &&
        (s = rules::checkJsonValue(m.shared().json_value()))) {
      if (m.shared().json_value().empty()) {
        state.shared.erase(m.shared().key());
      } else {
        state.shared[m.shared().key()] = m.shared().json_value();
      }
    }
    break;
  case M::kExit:
    s = applyExit(m, state, options, result);
    break;
  case M::kLog: {
    std::string name = options.pluginName ? options.pluginName(m.instance_id()) : std::string();
    state.pluginLogLines.push_back(std::string("[") + logLevelName(m.log().level()) + "] [" +
                                   name + "] " + m.log().message());
    result.logLines.push_back({m.instance_id(), m.log().level(), m.log().message()});
    break;
  }
  case M::kAuthenticate: {
    const auto& auth = m.authenticate();
    const config::Consumer* consumer = index.consumerById(auth.consumer().id());
    if (consumer == nullptr) {
      s = invalidArgument("unknown consumer \"" + auth.consumer().id() + "\"");
      break;
    }
    state.consumer = consumer;
    state.credentialId = auth.credential().id();
    state.credentialConsumerId =
        auth.credential().consumer_id().empty() ? consumer->id : auth.credential().consumer_id();
    break;
  }
  case M::OP_NOT_SET:
    s = invalidArgument("empty mutation");
    break;
  }
  return s;
}

ApplyResult applyMutations(const google::protobuf::RepeatedPtrField<v1::Mutation>& mutations,
                           proxy::RequestState& state, const ConfigIndex& index,
                           const ApplyOptions& options) {
  ApplyResult result;
  for (const auto& m : mutations) {
    if (options.phase == Phase::Log && m.op_case() != v1::Mutation::kLog) {
      ++result.ignored;  // The response is gone; not a plugin error.
      continue;
    }
    Status s = applyMutation(m, state, index, options, result);
    if (s) {
      ++result.applied;
    } else {
      result.rejections.push_back({m.instance_id(), rules::opName(m.op_case()), s.message()});
    }
    if (result.exited || result.fatal) {
      break;
    }
  }
  return result;
}

} // namespace gateway::plugin
