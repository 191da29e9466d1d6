#pragma once

// A test harness for plugin authors: runs a request through plugins' phases without a gateway
// (rewrite -> access -> an echo "service" -> response -> header_filter -> log), the way gantry
// would, and shows what came out. The shape of go-pdk's `test` package (DoHttp).
//
//   gantry_pdk::testing::Harness h;
//   h.add("cpp-hello", {{"message", "hi"}});          // a plugin registered with GANTRY_PLUGIN
//   auto r = h.doHttp({.url = "http://example.com/"});
//   CHECK(r.clientResponse.header("x-hello-from-cpp") == "C++ says hi to example.com");
//
// Plugins run in gantry's order (higher priority first, ties by name in reverse order), all
// plugins of a phase in one phase call. Lazy fetches are answered from `fixtures`.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "gantry_pdk/plugin.h"
#include "gantry_pdk/types.h"

namespace gantry_pdk::testing {

// The client's request.
struct Request {
  std::string method = "GET";
  std::string url = "http://localhost/";  // scheme://host[:port]/path[?query]
  Headers headers;                        // Host is added from the URL when absent.
  std::string body;
  std::string clientIp = "127.0.0.1";
  uint32_t clientPort = 40000;
};

struct Response {
  int status = 0;
  Headers headers;
  std::string body;
  std::optional<std::string_view> header(std::string_view name) const;
};

// The request as it would be sent upstream after the plugins' changes.
struct ServiceRequest {
  std::string method, scheme, host;
  uint32_t port = 0;
  std::string path, rawQuery;
  Headers headers;
  std::string body;
  std::optional<mutation::Target> target;
  std::string upstream;
  std::optional<std::string_view> header(std::string_view name) const;
};

// Answers for lazy fetches.
struct Fixtures {
  std::vector<Consumer> consumers;
  struct StoredCredential {
    std::string kind, field, value;
    CredentialMatch match;
  };
  std::vector<StoredCredential> credentials;
  std::optional<entities::Route> route;
  std::optional<entities::Service> service;
  UriCaptures uriCaptures;
  std::string nodeId = "00000000-0000-0000-0000-000000000000";
  std::vector<std::string> trustedIps;
};

struct Result {
  std::vector<Mutation> mutations;  // Of all phases, in order.
  ServiceRequest serviceRequest;
  bool proxied = false;              // The echo service was called (no exit, no failure).
  Response serviceResponse;
  Response clientResponse;
  std::optional<mutation::Exit> exit;
  std::optional<Phase> exitPhase;
  std::optional<PhaseError> error;   // A failed plugin (the harness then answers 500).
  std::optional<Phase> errorPhase;
  std::vector<mutation::Log> logs;
  std::map<std::string, std::string> shared;  // kong.ctx.shared at the end: key -> JSON text.
  std::optional<Consumer> consumer;
  std::optional<Credential> credential;
};

class Harness {
public:
  using Service = std::function<Response(const ServiceRequest&)>;

  Harness();
  // Adds a plugin registered with GANTRY_PLUGIN (or any descriptor) with a config; throws
  // std::invalid_argument with the validation message when the config is rejected.
  Harness& add(std::string_view pluginName, const nlohmann::json& config = nlohmann::json::object());
  Harness& add(const PluginDescriptor& plugin, const nlohmann::json& config = nlohmann::json::object());

  // Runs the whole request.
  Result doHttp(const Request& request);

  Fixtures fixtures;
  // The upstream; by default echoes: 200, the service request's headers and body.
  Service service;

private:
  struct Entry {
    uint64_t id;
    PluginDescriptor descriptor;
    std::shared_ptr<Plugin> plugin;  // Lives as long as the harness (state across requests).
  };
  std::vector<Entry> plugins_;
};

}  // namespace gantry_pdk::testing
