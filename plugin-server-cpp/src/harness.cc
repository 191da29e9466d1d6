#include "gantry_pdk/testing.h"

#include <algorithm>
#include <stdexcept>

#include "call_state.h"
#include "instances.h"
#include "pdk_util.h"

namespace gantry_pdk::testing {
namespace {

using detail::applyHeader;

class FixtureFetcher : public detail::Fetcher {
public:
  FixtureFetcher(const Fixtures& fixtures, const std::string& body)
      : fixtures_(fixtures), body_(body) {}

  FetchAnswer fetch(FetchRequest request) override {
    return std::visit(
        [&](const auto& f) -> FetchAnswer {
          using T = std::decay_t<decltype(f)>;
          if constexpr (std::is_same_v<T, fetch::RequestBody>) {
            return body_;
          } else if constexpr (std::is_same_v<T, fetch::Route>) {
            return fixtures_.route ? FetchAnswer(*fixtures_.route) : fetch::NotFound{"no route"};
          } else if constexpr (std::is_same_v<T, fetch::Service>) {
            return fixtures_.service ? FetchAnswer(*fixtures_.service)
                                     : fetch::NotFound{"no service"};
          } else if constexpr (std::is_same_v<T, fetch::Consumer>) {
            for (const Consumer& c : fixtures_.consumers) {
              if ((f.byUsername ? c.username : c.id) == f.idOrUsername) {
                return c;
              }
            }
            return fetch::NotFound{"no such consumer"};
          } else if constexpr (std::is_same_v<T, fetch::UriCaptures>) {
            return fixtures_.uriCaptures;
          } else if constexpr (std::is_same_v<T, fetch::Credential>) {
            for (const auto& c : fixtures_.credentials) {
              if (c.kind == f.kind && c.field == f.field && c.value == f.value) {
                return c.match;
              }
            }
            return fetch::NotFound{"no such credential"};
          } else if constexpr (std::is_same_v<T, fetch::NodeId>) {
            return fixtures_.nodeId;
          } else {
            return std::find(fixtures_.trustedIps.begin(), fixtures_.trustedIps.end(),
                             f.address) != fixtures_.trustedIps.end();
          }
        },
        request);
  }
  bool cancelled() const override { return false; }

private:
  const Fixtures& fixtures_;
  const std::string& body_;
};

RequestSnapshot parseRequest(const Request& r) {
  RequestSnapshot s;
  s.method = r.method;
  std::string_view url = r.url;
  size_t scheme = url.find("://");
  s.scheme = scheme == std::string_view::npos ? "http" : std::string(url.substr(0, scheme));
  url = scheme == std::string_view::npos ? url : url.substr(scheme + 3);
  size_t slash = url.find_first_of("/?");
  std::string_view authority = url.substr(0, slash);
  std::string_view rest = slash == std::string_view::npos ? "/" : url.substr(slash);
  size_t colon = authority.rfind(':');
  s.host = std::string(authority.substr(0, colon));
  std::transform(s.host.begin(), s.host.end(), s.host.begin(), ::tolower);
  s.port = colon == std::string_view::npos ? (s.scheme == "https" ? 443 : 80)
                                           : std::stoul(std::string(authority.substr(colon + 1)));
  size_t q = rest.find('?');
  s.path = std::string(rest.substr(0, q));
  if (s.path.empty()) {
    s.path = "/";
  }
  s.rawQuery = q == std::string_view::npos ? "" : std::string(rest.substr(q + 1));
  s.headers = r.headers;
  if (!detail::findHeader(s.headers, "host")) {
    s.headers.insert(s.headers.begin(), Header{"Host", std::string(authority)});
  }
  s.clientIp = r.clientIp;
  s.clientPort = r.clientPort;
  s.requestId = "harness-request";
  s.forwardedScheme = s.scheme;
  s.forwardedHost = s.host;
  return s;
}

bool implements(const PluginDescriptor& d, Phase phase) {
  return std::find(d.phases.begin(), d.phases.end(), phase) != d.phases.end();
}

}  // namespace

std::optional<std::string_view> Response::header(std::string_view name) const {
  return detail::findHeader(headers, name);
}

std::optional<std::string_view> ServiceRequest::header(std::string_view name) const {
  return detail::findHeader(headers, name);
}

Harness::Harness() {
  service = [](const ServiceRequest& request) {
    return Response{200, request.headers, request.body};
  };
}

Harness& Harness::add(std::string_view pluginName, const nlohmann::json& config) {
  for (const PluginDescriptor& d : registeredPlugins()) {
    if (d.name == pluginName) {
      return add(d, config);
    }
  }
  throw std::invalid_argument("no registered plugin named " + std::string(pluginName));
}

Harness& Harness::add(const PluginDescriptor& plugin, const nlohmann::json& config) {
  std::string error;
  std::shared_ptr<Plugin> instance = plugin.instantiate(config.dump(), error);
  if (!instance) {
    throw std::invalid_argument(plugin.name + ": " + error);
  }
  plugins_.push_back({plugins_.size() + 1, plugin, std::move(instance)});
  return *this;
}

Result Harness::doHttp(const Request& request) {
  // Instances, in gantry's order: priority descending, ties by name descending.
  std::vector<PluginDescriptor> descriptors;
  std::vector<const Entry*> order;
  for (const Entry& e : plugins_) {
    descriptors.push_back(e.descriptor);
    order.push_back(&e);
  }
  detail::InstanceTable table(descriptors);
  for (size_t i = 0; i < plugins_.size(); ++i) {
    table.put(plugins_[i].id, i, plugins_[i].plugin);
  }
  std::stable_sort(order.begin(), order.end(), [](const Entry* a, const Entry* b) {
    if (a->descriptor.priority != b->descriptor.priority) {
      return a->descriptor.priority > b->descriptor.priority;
    }
    return a->descriptor.name > b->descriptor.name;
  });

  Result result;
  RequestSnapshot snapshot = parseRequest(request);
  ServiceRequest& up = result.serviceRequest;
  up = {snapshot.method, snapshot.scheme, snapshot.host, snapshot.port, snapshot.path,
        snapshot.rawQuery, snapshot.headers, request.body, std::nullopt, {}};
  // Response header changes of rewrite/access: applied to the client response (upstream or exit).
  std::vector<mutation::ResponseHeader> pendingResponseHeaders;
  FixtureFetcher fetcher(fixtures, request.body);
  std::optional<ResponseSnapshot> response;

  auto runPhase = [&](Phase phase, std::optional<LogInfo> log = std::nullopt) -> bool {
    std::vector<uint64_t> ids;
    for (const Entry* e : order) {
      if (implements(e->descriptor, phase)) {
        ids.push_back(e->id);
      }
    }
    if (ids.empty()) {
      return true;
    }
    PhaseInput input;
    input.phase = phase;
    input.request = snapshot;
    bool wantsBody = false;
    for (const Entry* e : order) {
      const auto& bp = e->descriptor.bodyPhases;
      wantsBody = wantsBody || std::find(bp.begin(), bp.end(), phase) != bp.end();
    }
    if (wantsBody) {
      input.request.body = request.body;
    }
    input.response = response;
    input.shared = result.shared;
    if (phase != Phase::Rewrite) {
      input.routeId = fixtures.route ? fixtures.route->id : "";
      input.serviceId = fixtures.service ? fixtures.service->id : "";
    }
    input.consumer = result.consumer;
    input.credential = result.credential;
    input.log = log;
    PhaseOutput out = detail::runPhase(table, ids, std::move(input), fetcher);
    const bool requestSide = phase == Phase::Rewrite || phase == Phase::Access;
    for (const Mutation& m : out.mutations) {
      std::visit(
          [&](const auto& op) {
            using T = std::decay_t<decltype(op)>;
            if constexpr (std::is_same_v<T, mutation::RequestHeader>) {
              applyHeader(up.headers, op.action, op.name, op.value);
              applyHeader(snapshot.headers, op.action, op.name, op.value);
            } else if constexpr (std::is_same_v<T, mutation::RequestPath>) {
              up.path = op.path;
            } else if constexpr (std::is_same_v<T, mutation::RequestRawQuery>) {
              up.rawQuery = op.query;
            } else if constexpr (std::is_same_v<T, mutation::RequestMethod>) {
              up.method = op.method;
            } else if constexpr (std::is_same_v<T, mutation::RequestScheme>) {
              up.scheme = op.scheme;
            } else if constexpr (std::is_same_v<T, mutation::RequestBody>) {
              up.body = op.body;
            } else if constexpr (std::is_same_v<T, mutation::Target>) {
              up.target = op;
            } else if constexpr (std::is_same_v<T, mutation::Upstream>) {
              up.upstream = op.name;
            } else if constexpr (std::is_same_v<T, mutation::ResponseHeader>) {
              if (requestSide) {
                pendingResponseHeaders.push_back(op);
              } else {
                applyHeader(result.clientResponse.headers, op.action, op.name, op.value);
              }
            } else if constexpr (std::is_same_v<T, mutation::ResponseStatus>) {
              result.clientResponse.status = op.status;
            } else if constexpr (std::is_same_v<T, mutation::ResponseBody>) {
              result.clientResponse.body = op.body;
            } else if constexpr (std::is_same_v<T, mutation::SharedSet>) {
              if (op.jsonValue.empty()) {
                result.shared.erase(op.key);
              } else {
                result.shared[op.key] = op.jsonValue;
              }
            } else if constexpr (std::is_same_v<T, mutation::Exit>) {
              result.exit = op;
              result.exitPhase = phase;
              result.clientResponse = {op.status, op.headers, op.body.value_or("")};
            } else if constexpr (std::is_same_v<T, mutation::Log>) {
              result.logs.push_back(op);
            } else if constexpr (std::is_same_v<T, mutation::Authenticate>) {
              if (op.consumer) {
                result.consumer = op.consumer;
              }
              if (op.credential) {
                result.credential = op.credential;
              }
            }
          },
          m.op);
      result.mutations.push_back(m);
    }
    if (out.error) {
      result.error = out.error;
      result.errorPhase = phase;
      result.clientResponse = {500, {{"Content-Type", "application/json; charset=utf-8"}},
                               R"({"message":"An unexpected error occurred"})"};
      return false;
    }
    return true;
  };

  bool ok = runPhase(Phase::Rewrite);
  if (ok && !result.exit) {
    ok = runPhase(Phase::Access);
  }
  std::string source = "error";
  if (ok && !result.exit) {
    result.serviceResponse = service(up);
    result.proxied = true;
    result.clientResponse = result.serviceResponse;
    source = "service";
  } else if (result.exit) {
    source = "exit";
  }
  for (const mutation::ResponseHeader& h : pendingResponseHeaders) {
    applyHeader(result.clientResponse.headers, h.action, h.name, h.value);
  }
  if (ok) {
    auto makeResponse = [&](bool withBody) {
      ResponseSnapshot r;
      r.status = result.clientResponse.status;
      r.headers = result.clientResponse.headers;
      if (result.proxied) {
        r.serviceStatus = result.serviceResponse.status;
        r.serviceHeaders = result.serviceResponse.headers;
        if (withBody) {
          r.body = result.serviceResponse.body;
        }
      }
      r.source = source;
      return r;
    };
    response = makeResponse(true);
    ok = runPhase(Phase::Response);
    if (ok) {
      response = makeResponse(false);
      runPhase(Phase::HeaderFilter);
    }
  }
  response = ResponseSnapshot{result.clientResponse.status, result.clientResponse.headers, 0,
                              {}, std::nullopt, source};
  LogInfo log;
  log.upstreamTarget = result.proxied ? up.host + ":" + std::to_string(up.port) : "";
  log.upstreamUri = result.proxied ? up.path + (up.rawQuery.empty() ? "" : "?" + up.rawQuery) : "";
  log.bytesSent = result.clientResponse.body.size();
  log.bytesReceived = request.body.size();
  runPhase(Phase::Log, log);
  return result;
}

}  // namespace gantry_pdk::testing
