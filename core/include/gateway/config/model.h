#pragma once

// The gateway's configuration as plain value types, produced by config::load() from a Kong-style
// declarative file (docs/CONFIG.md). A Config is immutable once loaded: workers share it through a
// std::shared_ptr<const Config> and a reload swaps in a new one, so requests in flight finish on
// the Config they started with (shared ownership is the stated reason for shared_ptr here).

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace gateway::config {

using Millis = std::chrono::milliseconds;

struct ListenAddress {
  std::string host{"0.0.0.0"};
  uint16_t port{8000};
};

enum class LogFormat { Json, Text };

struct Limits {
  size_t maxRequestLineBytes{8192};     // 414 above this.
  size_t maxHeaderBytes{32768};         // 431 above this (all header fields together).
  size_t maxHeaderCount{100};           // 431 above this.
  uint64_t maxBodyBytes{0};             // 413 above this; 0 = unlimited (Kong's default).
  Millis clientHeaderTimeout{60000};    // 408 if the head is not complete in time.
  Millis clientBodyTimeout{60000};      // 408 if the body stalls this long between reads.
  Millis keepaliveTimeout{60000};       // Idle keep-alive client connections close after this.
  size_t maxConnections{16384};         // Per worker; further accepts are closed at once.
  size_t upstreamKeepalivePoolSize{128};// Idle upstream connections kept per worker per target.
  Millis upstreamKeepaliveIdleTimeout{60000};
  size_t bufferBytes{65536};            // Per-direction buffer high-water mark (back-pressure).
};

struct LogSettings {
  std::string accessLog{"stdout"};  // "stdout", "stderr", "off" or a file path.
  LogFormat accessLogFormat{LogFormat::Json};
  std::string errorLog{"stderr"};   // "stdout", "stderr" or a file path.
  std::string errorLogLevel{"notice"}; // debug, info, notice, warn, error, crit.
};

// Settings of the gateway process itself (the `gantry:` section of the file).
struct GatewaySettings {
  std::vector<ListenAddress> listen{ListenAddress{}};
  int workers{0};                    // 0 = one per core.
  Millis drainTimeout{30000};        // SIGTERM: how long in-flight requests may finish.
  Limits limits;
  LogSettings log;
  std::optional<ListenAddress> statusListen; // Status endpoint (counters), off when unset.
  bool latencyHeaders{true};         // X-Gantry-Upstream-Latency / X-Gantry-Proxy-Latency.
  bool serverTokens{true};           // Via / Server headers.
};

struct Service {
  std::string id;     // Generated (uuid-like) when absent.
  std::string name;   // May be empty.
  std::string protocol{"http"};  // "http" only for now ("https" rejected with a clear error).
  std::string host;   // A hostname/IP, or the name of an Upstream.
  uint16_t port{80};
  std::string path;   // Empty or starts with "/".
  int retries{5};
  Millis connectTimeout{60000};
  Millis writeTimeout{60000};
  Millis readTimeout{60000};
  bool enabled{true};
  std::vector<std::string> tags;
};

struct Route {
  std::string id;
  std::string name;
  std::string serviceId;   // Resolved id of the service; empty if the route has none (503).
  std::vector<std::string> protocols{"http", "https"};
  std::vector<std::string> methods;
  std::vector<std::string> hosts;       // Exact ("a.com") or wildcard ("*.a.com", "a.*").
  std::vector<std::string> paths;       // Prefix ("/foo") or regex ("~/foo/(?<id>\d+)$").
  std::map<std::string, std::vector<std::string>> headers; // Name (lower case) -> allowed values.
  int regexPriority{0};
  bool stripPath{true};
  bool preserveHost{false};
  std::string pathHandling{"v0"};       // "v0" or "v1", as in Kong.
  int httpsRedirectStatusCode{426};
  std::vector<std::string> tags;
  // Position of the route in the file, used as the final tie-break (earlier wins).
  size_t order{0};
};

struct Target {
  std::string host; // Without brackets for IPv6 literals.
  uint16_t port{8000};
  int weight{100};  // 0 disables the target.
  std::string id;   // Generated when absent (last, so positional initialisers stay valid).
};

enum class BalancerAlgorithm { RoundRobin, ConsistentHashing, LeastConnections };
enum class HashOn { None, Ip, Header, Consumer };

struct PassiveHealth {
  int unhealthyFailures{3};    // Consecutive failures (connect error/timeout/5xx-less) to trip.
  Millis unhealthyDuration{10000}; // How long a tripped target is skipped.
};

struct Upstream {
  std::string id;
  std::string name;   // Services refer to it through their host.
  BalancerAlgorithm algorithm{BalancerAlgorithm::RoundRobin};
  HashOn hashOn{HashOn::None};
  std::string hashOnHeader;   // When hashOn == Header.
  HashOn hashFallback{HashOn::None};
  std::string hashFallbackHeader;
  std::string hostHeader;     // Host sent upstream when set (Kong's host_header).
  PassiveHealth passive;
  std::vector<Target> targets;
  std::vector<std::string> tags;
};

struct Credential {
  std::string type;            // Entity kind as written, e.g. "keyauth_credentials".
  std::string id;
  nlohmann::json fields;       // Everything else (e.g. {"key": "..."}), kept for plugins.
};

struct Consumer {
  std::string id;
  std::string username;
  std::string customId;
  std::vector<std::string> tags;
  std::vector<Credential> credentials;
};

// A plugin entity (Kong's `plugins`): a named plugin with a config, scoped to any combination of
// route/service/consumer (empty id = not scoped on that dimension; all empty = global).
struct PluginEntity {
  std::string id;
  std::string name;
  std::string instanceName;
  std::string routeId;
  std::string serviceId;
  std::string consumerId;
  bool enabled{true};
  std::vector<std::string> protocols{"grpc", "grpcs", "http", "https"};
  nlohmann::json config = nlohmann::json::object();
  std::vector<std::string> tags;
  // Gantry extensions (docs/CONFIG.md): per-phase timeout and failure policy.
  std::optional<Millis> timeout;        // Default: the plugin server's phase timeout.
  std::optional<bool> failOpen;         // Default: fail closed.
  std::string path;                     // Where in the file it was declared, for messages.
};

// A plugin server: started and supervised by gantry (command) or run by someone else (address).
struct PluginServer {
  std::string name;
  std::vector<std::string> command;              // argv; empty for sidecars.
  std::map<std::string, std::string> env;
  std::string address;                           // "unix:/path" or "host:port" for sidecars.
  Millis startTimeout{10000};                    // Handshake deadline; requests wait this long.
  Millis phaseTimeout{5000};                     // Default per-phase timeout of its plugins.
  bool failOpen{false};                          // Default failure policy of its plugins.
  int streams{0};                                // Event streams; 0 = one per worker.
};

struct Config {
  GatewaySettings gateway;
  std::vector<Service> services;
  std::vector<Route> routes;
  std::vector<Upstream> upstreams;
  std::vector<Consumer> consumers;
  std::vector<PluginEntity> plugins;
  std::vector<PluginServer> pluginServers;
  std::string sourcePath;  // The file it was loaded from.
  std::string formatVersion{"3.0"};  // `_format_version` as written ("1.1", "2.1" or "3.0").
  bool transform{true};    // `_transform`: false when credentials are already hashed/encrypted.

  const Service* findService(const std::string& id) const;
  const Upstream* findUpstream(const std::string& name) const;
  const Consumer* findConsumer(const std::string& id) const;
};

using ConfigSharedPtr = std::shared_ptr<const Config>;

} // namespace gateway::config
