// Ctx, Log, Router, Node, Ip and the Pdk aggregate.
#include "call_state.h"
#include "gantry_pdk/pdk.h"
#include "pdk_util.h"

namespace gantry_pdk {

const char* phaseName(Phase phase) {
  switch (phase) {
  case Phase::Rewrite: return "rewrite";
  case Phase::Access: return "access";
  case Phase::Response: return "response";
  case Phase::HeaderFilter: return "header_filter";
  case Phase::Log: return "log";
  }
  return "unknown";
}

Pdk::Pdk(detail::CallState& state, uint64_t instanceId)
    : request(state), response(state), serviceRequest(state), serviceResponse(state),
      client(state), ctx(state), log(state), router(state), service(state), node(state), ip(state),
      state_(state), instanceId_(instanceId) {}

Phase Pdk::phase() const { return state_.input().phase; }

std::optional<nlohmann::json> Ctx::shared(std::string_view key) const {
  const auto& shared = state_.input().shared;
  auto it = shared.find(std::string(key));
  if (it == shared.end()) {
    return std::nullopt;
  }
  nlohmann::json value = nlohmann::json::parse(it->second, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) {
    return std::nullopt;
  }
  return value;
}

void Ctx::setShared(std::string_view key, const nlohmann::json& value) {
  state_.record(mutation::SharedSet{std::string(key), value.dump()});
}

void Ctx::eraseShared(std::string_view key) {
  state_.record(mutation::SharedSet{std::string(key), {}});
}

void Log::line(LogLevel level, std::string message) {
  state_.record(mutation::Log{level, std::move(message)});
}

nlohmann::json Log::serialize() const {
  using nlohmann::json;
  const PhaseInput& in = state_.input();
  auto headerObject = [](const Headers& headers) {
    json out = json::object();
    for (const Header& h : headers) {
      std::string key = h.name;
      for (char& c : key) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
      if (!out.contains(key)) {
        out[key] = h.value;
      } else {
        if (!out[key].is_array()) {
          out[key] = json::array({out[key]});
        }
        out[key].push_back(h.value);
      }
    }
    return out;
  };
  const auto& r = in.request;
  std::string url = r.scheme + "://" + r.host + ":" + std::to_string(r.port) + r.path +
                    (r.rawQuery.empty() ? "" : "?" + r.rawQuery);
  json out = {
      {"request",
       {{"method", r.method},
        {"uri", r.path + (r.rawQuery.empty() ? "" : "?" + r.rawQuery)},
        {"url", url},
        {"headers", headerObject(r.headers)},
        {"querystring", json::object()},
        {"id", r.requestId}}},
      {"client_ip", r.clientIp},
      {"started_at", r.startTimeMs},
  };
  for (const auto& [k, v] : detail::parseQuery(r.rawQuery)) {
    out["request"]["querystring"][k] = v.size() == 1 ? json(v.front()) : json(v);
  }
  if (in.response) {
    out["response"] = {{"status", in.response->status},
                       {"headers", headerObject(in.response->headers)}};
  }
  if (!in.routeId.empty()) {
    out["route"] = {{"id", in.routeId}};
  }
  if (!in.serviceId.empty()) {
    out["service"] = {{"id", in.serviceId}};
  }
  if (in.consumer) {
    out["consumer"] = {{"id", in.consumer->id},
                       {"username", in.consumer->username},
                       {"custom_id", in.consumer->customId}};
  }
  if (in.log) {
    const LogInfo& l = *in.log;
    out["latencies"] = {{"request", l.requestLatencyMs},
                        {"kong", l.proxyLatencyMs},
                        {"proxy", l.upstreamLatencyMs}};
    out["upstream_uri"] = l.upstreamUri;
    out["upstream_target"] = l.upstreamTarget;
    out["request"]["size"] = l.bytesReceived;
    if (out.contains("response")) {
      out["response"]["size"] = l.bytesSent;
    }
  }
  return out;
}

std::string_view Router::routeId() const { return state_.input().routeId; }
std::string_view Router::serviceId() const { return state_.input().serviceId; }

std::optional<entities::Route> Router::route() {
  FetchAnswer answer = state_.fetch(fetch::Route{});
  if (auto* route = std::get_if<entities::Route>(&answer)) {
    return std::move(*route);
  }
  return std::nullopt;
}

std::optional<entities::Service> Router::service() {
  FetchAnswer answer = state_.fetch(fetch::Service{});
  if (auto* service = std::get_if<entities::Service>(&answer)) {
    return std::move(*service);
  }
  return std::nullopt;
}

std::string Node::id() {
  FetchAnswer answer = state_.fetch(fetch::NodeId{});
  auto* id = std::get_if<std::string>(&answer);
  return id ? std::move(*id) : std::string();
}

bool Ip::isTrusted(std::string_view address) {
  FetchAnswer answer = state_.fetch(fetch::IsTrustedIp{std::string(address)});
  auto* trusted = std::get_if<bool>(&answer);
  return trusted != nullptr && *trusted;
}

}  // namespace gantry_pdk
