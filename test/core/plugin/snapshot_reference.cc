#include "snapshot_reference.h"

#include <chrono>
#include <string>

#include "plugin/snapshot_builder.h"
#include "plugin/utf8.h"

namespace gateway::plugin::testing {
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

} // namespace gateway::plugin::testing
