#include "plugin/snapshot_builder.h"

#include <chrono>
#include <string>

#include "plugin/utf8.h"

namespace gateway::plugin {
namespace {

template <typename Repeated> void fillHeaders(Repeated& out, const http::HeaderMap& headers) {
  for (const auto& f : headers) {
    auto* h = out.Add();
    h->set_name(f.name);  // A token (the codec checked it): ASCII.
    setUtf8(f.value, [&](std::string_view v) { h->set_value(v.data(), v.size()); });
  }
}

int64_t epochMs(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

} // namespace

v1::Phase toProtoPhase(Phase phase) {
  switch (phase) {
  case Phase::Rewrite: return v1::PHASE_REWRITE;
  case Phase::Access: return v1::PHASE_ACCESS;
  case Phase::Response: return v1::PHASE_RESPONSE;
  case Phase::HeaderFilter: return v1::PHASE_HEADER_FILTER;
  case Phase::Log: return v1::PHASE_LOG;
  }
  return v1::PHASE_UNSPECIFIED;
}

void fillConsumer(v1::Consumer& out, const config::Consumer& c) {
  out.set_id(c.id);
  out.set_username(c.username);
  out.set_custom_id(c.customId);
  for (const auto& t : c.tags) {
    out.add_tags(t);
  }
}

void fillRoute(v1::Route& out, const config::Route& r) {
  out.set_id(r.id);
  out.set_name(r.name);
  for (const auto& v : r.protocols) out.add_protocols(v);
  for (const auto& v : r.methods) out.add_methods(v);
  for (const auto& v : r.hosts) out.add_hosts(v);
  for (const auto& v : r.paths) out.add_paths(v);
  for (const auto& [name, values] : r.headers) {
    std::string flat = name + ":";
    for (size_t i = 0; i < values.size(); ++i) {
      flat += (i ? "," : "") + values[i];
    }
    out.add_headers(flat);
  }
  out.set_https_redirect_status_code(r.httpsRedirectStatusCode);
  out.set_regex_priority(r.regexPriority);
  out.set_strip_path(r.stripPath);
  out.set_preserve_host(r.preserveHost);
  for (const auto& v : r.tags) out.add_tags(v);
  out.set_service_id(r.serviceId);
  out.set_path_handling(r.pathHandling);
}

void fillService(v1::Service& out, const config::Service& s) {
  out.set_id(s.id);
  out.set_name(s.name);
  out.set_retries(s.retries);
  out.set_protocol(s.protocol);
  out.set_host(s.host);
  out.set_port(s.port);
  out.set_path(s.path);
  out.set_connect_timeout(static_cast<int32_t>(s.connectTimeout.count()));
  out.set_write_timeout(static_cast<int32_t>(s.writeTimeout.count()));
  out.set_read_timeout(static_cast<int32_t>(s.readTimeout.count()));
  for (const auto& v : s.tags) out.add_tags(v);
}

void fillPhaseCall(v1::PhaseCall& call, Phase phase, const proxy::RequestState& state,
                   const InstanceList& instances, bool includeRequestBody) {
  call.set_phase(toProtoPhase(phase));
  for (const auto* i : instances) {
    call.add_instance_ids(i->instanceId);
  }
  auto* req = call.mutable_request();
  const auto& head = state.request;
  req->set_method(head.method);
  req->set_scheme(state.scheme);
  setUtf8(state.host, [&](std::string_view v) { req->set_host(v.data(), v.size()); });
  req->set_port(state.port);
  setUtf8(head.path, [&](std::string_view v) { req->set_path(v.data(), v.size()); });
  setUtf8(head.rawQuery, [&](std::string_view v) { req->set_raw_query(v.data(), v.size()); });
  fillHeaders(*req->mutable_headers(), head.headers);
  req->set_client_ip(state.clientIp);
  req->set_client_port(state.clientPort);
  req->set_http_version(std::to_string(head.versionMajor) + "." +
                        std::to_string(head.versionMinor));
  if (includeRequestBody && state.requestBody) {
    req->set_body(*state.requestBody);
    req->set_has_body(true);
  }
  req->set_start_time_ms(epochMs(state.startedAt));
  req->set_request_id(std::to_string(state.id));
  req->set_forwarded_scheme(state.scheme);
  setUtf8(state.host, [&](std::string_view v) { req->set_forwarded_host(v.data(), v.size()); });

  if (phase == Phase::Response || phase == Phase::HeaderFilter || phase == Phase::Log) {
    auto* resp = call.mutable_response();
    resp->set_status(state.response.status);
    fillHeaders(*resp->mutable_headers(), state.response.headers);
    resp->set_service_status(state.serviceStatus);
    fillHeaders(*resp->mutable_service_headers(), state.serviceResponseHeaders);
    if (phase == Phase::Response && state.responseBody) {
      resp->set_body(*state.responseBody);
      resp->set_has_body(true);
    }
    resp->set_source(state.responseSource);
  }
  for (const auto& [k, v] : state.shared) {
    (*call.mutable_shared())[k] = v;
  }
  if (state.route != nullptr) {
    call.set_route_id(state.route->id);
  }
  if (state.service != nullptr) {
    call.set_service_id(state.service->id);
  }
  if (state.consumer != nullptr) {
    fillConsumer(*call.mutable_consumer(), *state.consumer);
  }
  if (!state.credentialId.empty()) {
    call.mutable_credential()->set_id(state.credentialId);
    call.mutable_credential()->set_consumer_id(state.credentialConsumerId);
  }
  if (phase == Phase::Log) {
    auto* log = call.mutable_log();
    log->set_request_latency_ms(state.totalLatencyMs);
    log->set_proxy_latency_ms(state.proxyLatencyMs);
    log->set_upstream_latency_ms(state.upstreamLatencyMs);
    if (state.upstreamTarget) {
      log->set_upstream_target(state.upstreamTarget->toString());
    }
    log->set_bytes_sent(state.bytesSent);
    log->set_bytes_received(state.bytesReceived);
    std::string uri = state.upstreamPath.value_or(head.path);
    const std::string& q = state.upstreamQuery ? *state.upstreamQuery : head.rawQuery;
    if (!q.empty()) {
      uri += "?" + q;
    }
    setUtf8(uri, [&](std::string_view v) { log->set_upstream_uri(v.data(), v.size()); });
    log->set_finished_at_ms(epochMs(std::chrono::system_clock::now()));
  }
}

} // namespace gateway::plugin
