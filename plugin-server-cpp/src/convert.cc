#include "convert.h"

namespace gantry_pdk::detail {
namespace {

template <class Repeated> std::vector<std::string> strings(const Repeated& r) {
  return {r.begin(), r.end()};
}

Headers headersFrom(const google::protobuf::RepeatedPtrField<pb::Header>& in) {
  Headers out;
  out.reserve(in.size());
  for (const pb::Header& h : in) {
    out.push_back({h.name(), h.value()});
  }
  return out;
}

void headersTo(const Headers& in, google::protobuf::RepeatedPtrField<pb::Header>& out) {
  for (const Header& h : in) {
    pb::Header* p = out.Add();
    p->set_name(h.name);
    p->set_value(h.value);
  }
}

Consumer consumerFrom(const pb::Consumer& c) {
  return {c.id(), c.username(), c.custom_id(), strings(c.tags())};
}

void consumerTo(const Consumer& c, pb::Consumer& out) {
  out.set_id(c.id);
  out.set_username(c.username);
  out.set_custom_id(c.customId);
  for (const std::string& tag : c.tags) {
    out.add_tags(tag);
  }
}

pb::HeaderAction actionTo(HeaderAction a) { return static_cast<pb::HeaderAction>(a); }

}  // namespace

pb::Phase toProto(Phase phase) { return static_cast<pb::Phase>(phase); }

PhaseInput fromProto(const pb::PhaseCall& call) {
  PhaseInput in;
  in.phase = static_cast<Phase>(call.phase());
  const pb::RequestSnapshot& r = call.request();
  in.request.method = r.method();
  in.request.scheme = r.scheme();
  in.request.host = r.host();
  in.request.port = r.port();
  in.request.path = r.path();
  in.request.rawQuery = r.raw_query();
  in.request.headers = headersFrom(r.headers());
  in.request.clientIp = r.client_ip();
  in.request.clientPort = r.client_port();
  in.request.httpVersion = r.http_version();
  if (r.has_body()) {
    in.request.body = r.body();
  }
  in.request.startTimeMs = r.start_time_ms();
  in.request.requestId = r.request_id();
  in.request.forwardedScheme = r.forwarded_scheme();
  in.request.forwardedHost = r.forwarded_host();
  if (call.has_response()) {
    const pb::ResponseSnapshot& s = call.response();
    ResponseSnapshot resp;
    resp.status = s.status();
    resp.headers = headersFrom(s.headers());
    resp.serviceStatus = s.service_status();
    resp.serviceHeaders = headersFrom(s.service_headers());
    if (s.has_body()) {
      resp.body = s.body();
    }
    resp.source = s.source();
    in.response = std::move(resp);
  }
  for (const auto& [k, v] : call.shared()) {
    in.shared.emplace(k, v);
  }
  in.routeId = call.route_id();
  in.serviceId = call.service_id();
  rareFromProto(call, in);
  return in;
}

void rareFromProto(const pb::PhaseCall& call, PhaseInput& in) {
  if (call.has_consumer() && !call.consumer().id().empty()) {
    in.consumer = consumerFrom(call.consumer());
  }
  if (call.has_credential() && !call.credential().id().empty()) {
    in.credential = Credential{call.credential().id(), call.credential().consumer_id()};
  }
  if (call.has_log()) {
    const pb::LogInfo& l = call.log();
    in.log = LogInfo{l.request_latency_ms(), l.proxy_latency_ms(), l.upstream_latency_ms(),
                     l.upstream_target(),    l.bytes_sent(),       l.bytes_received(),
                     l.upstream_uri(),       l.finished_at_ms(),   l.client_aborted()};
  }
}

FetchAnswer fromProto(const pb::FetchResult& result) {
  switch (result.result_case()) {
  case pb::FetchResult::kRequestBody: return result.request_body();
  case pb::FetchResult::kRoute: {
    const pb::Route& r = result.route();
    entities::Route route;
    route.id = r.id();
    route.name = r.name();
    route.protocols = strings(r.protocols());
    route.methods = strings(r.methods());
    route.hosts = strings(r.hosts());
    route.paths = strings(r.paths());
    route.headers = strings(r.headers());
    route.httpsRedirectStatusCode = r.https_redirect_status_code();
    route.regexPriority = r.regex_priority();
    route.stripPath = r.strip_path();
    route.preserveHost = r.preserve_host();
    route.tags = strings(r.tags());
    route.serviceId = r.service_id();
    route.pathHandling = r.path_handling();
    return route;
  }
  case pb::FetchResult::kService: {
    const pb::Service& s = result.service();
    entities::Service service;
    service.id = s.id();
    service.name = s.name();
    service.retries = s.retries();
    service.protocol = s.protocol();
    service.host = s.host();
    service.port = s.port();
    service.path = s.path();
    service.connectTimeout = s.connect_timeout();
    service.writeTimeout = s.write_timeout();
    service.readTimeout = s.read_timeout();
    service.tags = strings(s.tags());
    return service;
  }
  case pb::FetchResult::kConsumer: return consumerFrom(result.consumer());
  case pb::FetchResult::kUriCaptures: {
    UriCaptures captures;
    captures.unnamed = strings(result.uri_captures().unnamed());
    for (const auto& [k, v] : result.uri_captures().named()) {
      captures.named.emplace(k, v);
    }
    return captures;
  }
  case pb::FetchResult::kCredential: {
    const pb::CredentialMatch& m = result.credential();
    return CredentialMatch{Credential{m.credential().id(), m.credential().consumer_id()},
                           consumerFrom(m.consumer()), m.fields_json()};
  }
  case pb::FetchResult::kNodeId: return result.node_id();
  case pb::FetchResult::kIsTrustedIp: return result.is_trusted_ip();
  case pb::FetchResult::kNotFound: return fetch::NotFound{result.not_found()};
  case pb::FetchResult::RESULT_NOT_SET: break;
  }
  return fetch::NotFound{"empty fetch result"};
}

void toProto(const Mutation& mutation, pb::Mutation& out) {
  out.set_instance_id(mutation.instanceId);
  std::visit(
      [&](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, mutation::RequestHeader>) {
          auto* h = out.mutable_request_header();
          h->set_action(actionTo(m.action));
          h->set_name(m.name);
          h->set_value(m.value);
        } else if constexpr (std::is_same_v<T, mutation::ResponseHeader>) {
          auto* h = out.mutable_response_header();
          h->set_action(actionTo(m.action));
          h->set_name(m.name);
          h->set_value(m.value);
        } else if constexpr (std::is_same_v<T, mutation::RequestPath>) {
          out.set_request_path(m.path);
        } else if constexpr (std::is_same_v<T, mutation::RequestRawQuery>) {
          out.set_request_raw_query(m.query);
        } else if constexpr (std::is_same_v<T, mutation::RequestMethod>) {
          out.set_request_method(m.method);
        } else if constexpr (std::is_same_v<T, mutation::RequestScheme>) {
          out.set_request_scheme(m.scheme);
        } else if constexpr (std::is_same_v<T, mutation::RequestBody>) {
          out.set_request_body(m.body);
        } else if constexpr (std::is_same_v<T, mutation::Target>) {
          out.mutable_target()->set_host(m.host);
          out.mutable_target()->set_port(m.port);
        } else if constexpr (std::is_same_v<T, mutation::Upstream>) {
          out.set_upstream(m.name);
        } else if constexpr (std::is_same_v<T, mutation::ResponseStatus>) {
          out.set_response_status(m.status);
        } else if constexpr (std::is_same_v<T, mutation::ResponseBody>) {
          out.set_response_body(m.body);
        } else if constexpr (std::is_same_v<T, mutation::SharedSet>) {
          out.mutable_shared()->set_key(m.key);
          out.mutable_shared()->set_json_value(m.jsonValue);
        } else if constexpr (std::is_same_v<T, mutation::Exit>) {
          auto* e = out.mutable_exit();
          e->set_status(m.status);
          e->set_has_body(m.body.has_value());
          if (m.body) {
            e->set_body(*m.body);
          }
          headersTo(m.headers, *e->mutable_headers());
        } else if constexpr (std::is_same_v<T, mutation::Log>) {
          out.mutable_log()->set_level(static_cast<pb::LogLevel>(m.level));
          out.mutable_log()->set_message(m.message);
        } else if constexpr (std::is_same_v<T, mutation::Authenticate>) {
          auto* a = out.mutable_authenticate();
          if (m.consumer) {
            consumerTo(*m.consumer, *a->mutable_consumer());
          }
          if (m.credential) {
            a->mutable_credential()->set_id(m.credential->id);
            a->mutable_credential()->set_consumer_id(m.credential->consumerId);
          }
        }
      },
      mutation.op);
}

void toProto(const PhaseOutput& output, pb::PhaseResult& out) {
  out.mutable_mutations()->Reserve(static_cast<int>(output.mutations.size()));
  for (const Mutation& m : output.mutations) {
    toProto(m, *out.add_mutations());
  }
  out.set_completed(output.completed);
  if (output.error) {
    auto* e = out.mutable_error();
    e->set_kind(output.error->kind == PhaseError::Kind::Handler
                    ? pb::PluginError::KIND_HANDLER
                    : pb::PluginError::KIND_UNKNOWN_INSTANCE);
    e->set_instance_id(output.error->instanceId);
    e->set_message(output.error->message);
  }
}

void toProto(const FetchRequest& request, uint32_t fetchId, pb::Fetch& out) {
  out.set_fetch_id(fetchId);
  std::visit(
      [&](const auto& f) {
        using T = std::decay_t<decltype(f)>;
        if constexpr (std::is_same_v<T, fetch::RequestBody>) {
          out.mutable_request_body();
        } else if constexpr (std::is_same_v<T, fetch::Route>) {
          out.mutable_route();
        } else if constexpr (std::is_same_v<T, fetch::Service>) {
          out.mutable_service();
        } else if constexpr (std::is_same_v<T, fetch::Consumer>) {
          out.mutable_consumer()->set_id_or_username(f.idOrUsername);
          out.mutable_consumer()->set_by_username(f.byUsername);
        } else if constexpr (std::is_same_v<T, fetch::UriCaptures>) {
          out.mutable_uri_captures();
        } else if constexpr (std::is_same_v<T, fetch::Credential>) {
          out.mutable_credential()->set_kind(f.kind);
          out.mutable_credential()->set_field(f.field);
          out.mutable_credential()->set_value(f.value);
        } else if constexpr (std::is_same_v<T, fetch::NodeId>) {
          out.mutable_node_id();
        } else if constexpr (std::is_same_v<T, fetch::IsTrustedIp>) {
          out.set_is_trusted_ip(f.address);
        }
      },
      request);
}

}  // namespace gantry_pdk::detail
