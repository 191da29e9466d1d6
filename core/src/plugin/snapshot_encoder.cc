#include "plugin/snapshot_encoder.h"

#include <charconv>
#include <chrono>
#include <string_view>

#include "plugin/snapshot_builder.h"
#include "plugin/utf8.h"
#include "plugin/wire_writer.h"

namespace gateway::plugin {
namespace {

// Field numbers (proto/gateway/plugin/v1/*.proto).
namespace event { enum : uint32_t { kRequestId = 1, kSeq = 2, kPhaseCall = 3 }; }
namespace call {
enum : uint32_t {
  kPhase = 1, kInstanceIds = 2, kRequest = 3, kResponse = 4, kShared = 5, kRouteId = 6,
  kServiceId = 7, kConsumer = 8, kCredential = 9, kLog = 10,
};
}
namespace req {
enum : uint32_t {
  kMethod = 1, kScheme = 2, kHost = 3, kPort = 4, kPath = 5, kRawQuery = 6, kHeaders = 7,
  kClientIp = 8, kClientPort = 9, kHttpVersion = 10, kBody = 11, kHasBody = 12,
  kStartTimeMs = 13, kRequestId = 14, kForwardedScheme = 15, kForwardedHost = 16,
};
}
namespace resp {
enum : uint32_t {
  kStatus = 1, kHeaders = 2, kServiceStatus = 3, kServiceHeaders = 4, kBody = 5, kHasBody = 6,
  kSource = 7,
};
}
namespace loginfo {
enum : uint32_t {
  kRequestLatencyMs = 1, kProxyLatencyMs = 2, kUpstreamLatencyMs = 3, kUpstreamTarget = 4,
  kBytesSent = 5, kBytesReceived = 6, kUpstreamUri = 7, kFinishedAtMs = 8,
};
}

void utf8Field(wire::Writer& w, uint32_t field, std::string_view v) {
  setUtf8(v, [&](std::string_view s) { w.bytesField(field, s); });
}

void headers(wire::Writer& w, uint32_t field, const http::HeaderMap& map) {
  for (const auto& f : map) {
    auto m = w.begin(field, 1);
    w.bytesField(1, f.name);  // A token (the codec checked it): ASCII.
    utf8Field(w, 2, f.value);
    w.end(m);
  }
}

int64_t epochMs(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

void request(wire::Writer& w, const proxy::RequestState& state, bool includeBody) {
  const auto& head = state.request;
  auto m = w.begin(call::kRequest, 2);
  w.bytesField(req::kMethod, head.method);
  w.bytesField(req::kScheme, state.scheme);
  utf8Field(w, req::kHost, state.host);
  w.uint64Field(req::kPort, state.port);
  utf8Field(w, req::kPath, head.path);
  utf8Field(w, req::kRawQuery, head.rawQuery);
  headers(w, req::kHeaders, head.headers);
  w.bytesField(req::kClientIp, state.clientIp);
  w.uint64Field(req::kClientPort, state.clientPort);
  char version[32];
  char* v = std::to_chars(version, version + 15, head.versionMajor).ptr;
  *v++ = '.';
  v = std::to_chars(v, version + sizeof version, head.versionMinor).ptr;
  w.bytesField(req::kHttpVersion, std::string_view(version, v - version));
  if (includeBody && state.requestBody) {
    w.bytesField(req::kBody, *state.requestBody);
    w.boolField(req::kHasBody, true);
  }
  w.int64Field(req::kStartTimeMs, epochMs(state.startedAt));
  char id[24];
  const auto idEnd = std::to_chars(id, id + sizeof id, state.id).ptr;
  w.bytesField(req::kRequestId, std::string_view(id, idEnd - id));
  w.bytesField(req::kForwardedScheme, state.scheme);
  utf8Field(w, req::kForwardedHost, state.host);
  w.end(m);
}

void response(wire::Writer& w, const proxy::RequestState& state, Phase phase) {
  auto m = w.begin(call::kResponse, 2);
  w.int64Field(resp::kStatus, state.response.status);
  headers(w, resp::kHeaders, state.response.headers);
  w.int64Field(resp::kServiceStatus, state.serviceStatus);
  headers(w, resp::kServiceHeaders, state.serviceResponseHeaders);
  if (phase == Phase::Response && state.responseBody) {
    w.bytesField(resp::kBody, *state.responseBody);
    w.boolField(resp::kHasBody, true);
  }
  w.bytesField(resp::kSource, state.responseSource);
  w.end(m);
}

void logInfo(wire::Writer& w, const proxy::RequestState& state) {
  auto m = w.begin(call::kLog, 1);
  w.int64Field(loginfo::kRequestLatencyMs, state.totalLatencyMs);
  w.int64Field(loginfo::kProxyLatencyMs, state.proxyLatencyMs);
  w.int64Field(loginfo::kUpstreamLatencyMs, state.upstreamLatencyMs);
  if (state.upstreamTarget) {
    w.bytesField(loginfo::kUpstreamTarget, state.upstreamTarget->toString());
  }
  w.uint64Field(loginfo::kBytesSent, state.bytesSent);
  w.uint64Field(loginfo::kBytesReceived, state.bytesReceived);
  const auto& head = state.request;
  const std::string& path = state.upstreamPath ? *state.upstreamPath : head.path;
  const std::string& q = state.upstreamQuery ? *state.upstreamQuery : head.rawQuery;
  if (q.empty()) {
    utf8Field(w, loginfo::kUpstreamUri, path);
  } else {
    std::string uri;
    uri.reserve(path.size() + 1 + q.size());
    uri.append(path).append(1, '?').append(q);
    utf8Field(w, loginfo::kUpstreamUri, uri);
  }
  w.int64Field(loginfo::kFinishedAtMs, epochMs(std::chrono::system_clock::now()));
  w.end(m);
}

} // namespace

void appendPhaseCallEvent(std::string& out, uint64_t requestId, uint32_t seq, Phase phase,
                          const proxy::RequestState& state, const InstanceList& instances,
                          bool includeRequestBody) {
  wire::Writer w(out);
  auto ev = w.begin(1, 2);  // EventBatch.events
  w.uint64Field(event::kRequestId, requestId);
  w.uint64Field(event::kSeq, seq);
  auto pc = w.begin(event::kPhaseCall, 2);
  w.uint64Field(call::kPhase, static_cast<uint64_t>(toProtoPhase(phase)));
  if (!instances.empty()) {
    auto ids = w.begin(call::kInstanceIds, 1);  // packed
    for (const auto* i : instances) {
      w.varint(i->instanceId);
    }
    w.end(ids);
  }
  request(w, state, includeRequestBody);
  if (phase == Phase::Response || phase == Phase::HeaderFilter || phase == Phase::Log) {
    response(w, state, phase);
  }
  for (const auto& [k, v] : state.shared) {
    auto entry = w.begin(call::kShared, 1);
    w.bytesFieldAlways(1, k);
    w.bytesFieldAlways(2, v);
    w.end(entry);
  }
  if (state.route != nullptr) {
    w.bytesField(call::kRouteId, state.route->id);
  }
  if (state.service != nullptr) {
    w.bytesField(call::kServiceId, state.service->id);
  }
  if (state.consumer != nullptr) {
    const auto& c = *state.consumer;
    auto m = w.begin(call::kConsumer, 1);
    w.bytesField(1, c.id);
    w.bytesField(2, c.username);
    w.bytesField(3, c.customId);
    for (const auto& t : c.tags) {
      w.bytesFieldAlways(4, t);
    }
    w.end(m);
  }
  if (!state.credentialId.empty()) {
    auto m = w.begin(call::kCredential, 1);
    w.bytesField(1, state.credentialId);
    w.bytesField(2, state.credentialConsumerId);
    w.end(m);
  }
  if (phase == Phase::Log) {
    logInfo(w, state);
  }
  w.end(pc);
  w.end(ev);
}

} // namespace gateway::plugin
