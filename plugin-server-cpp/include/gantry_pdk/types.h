#pragma once

// Value types of the Gantry plugin protocol as plugin code sees them: phases, headers, entities,
// the per-phase snapshot and the mutations a plugin records. They mirror
// proto/gateway/plugin/v1/*.proto field for field, without protobuf (plugins never include
// generated code; the SDK converts at the gRPC edge in src/convert.cc).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace gantry_pdk {

// Request phases a plugin can implement (numbering as in gateway.plugin.v1.Phase).
enum class Phase { Rewrite = 1, Access = 2, Response = 3, HeaderFilter = 4, Log = 5 };
const char* phaseName(Phase phase);

// One header field; names keep their case, order and duplicates are preserved.
struct Header {
  std::string name;
  std::string value;
  bool operator==(const Header&) const = default;
};
using Headers = std::vector<Header>;
// Headers grouped by lower-cased name (go-pdk's map[string][]string).
using HeaderMap = std::map<std::string, std::vector<std::string>>;

struct Credential {
  std::string id;
  std::string consumerId;
  bool operator==(const Credential&) const = default;
};

// Entities as in Kong (go-pdk's entities package).
namespace entities {
struct Consumer {
  std::string id;
  std::string username;
  std::string customId;
  std::vector<std::string> tags;
  bool operator==(const Consumer&) const = default;
};

struct Route {
  std::string id, name;
  std::vector<std::string> protocols, methods, hosts, paths, headers;
  int httpsRedirectStatusCode = 0;
  int regexPriority = 0;
  bool stripPath = false;
  bool preserveHost = false;
  std::vector<std::string> tags;
  std::string serviceId;
  std::string pathHandling;
};

struct Service {
  std::string id, name;
  int retries = 0;
  std::string protocol, host;
  int port = 0;
  std::string path;
  int connectTimeout = 0, writeTimeout = 0, readTimeout = 0;
  std::vector<std::string> tags;
};

}  // namespace entities
using entities::Consumer;

// Captures of a regex route path; unnamed[0] is the whole match.
struct UriCaptures {
  std::vector<std::string> unnamed;
  std::map<std::string, std::string> named;
};

// A credential found by one of its fields (Client::findCredential).
struct CredentialMatch {
  Credential credential;
  Consumer consumer;
  std::string fieldsJson;  // The credential's other fields as a JSON object.
};

// The request as received, with earlier plugins' request header mutations applied.
struct RequestSnapshot {
  std::string method = "GET";
  std::string scheme = "http";
  std::string host;  // Without the port, lower case.
  uint32_t port = 0;
  std::string path = "/";  // Raw, without the query.
  std::string rawQuery;    // Without '?'.
  Headers headers;
  std::string clientIp;
  uint32_t clientPort = 0;
  std::string httpVersion = "1.1";
  std::optional<std::string> body;  // Present only when declared in body_phases or fetched.
  int64_t startTimeMs = 0;
  std::string requestId;
  std::string forwardedScheme;
  std::string forwardedHost;
};

// The response to the client (response, header_filter and log phases).
struct ResponseSnapshot {
  int status = 0;
  Headers headers;
  int serviceStatus = 0;
  Headers serviceHeaders;
  std::optional<std::string> body;  // The upstream body, response phase only.
  std::string source;               // "service", "exit" or "error".
};

struct LogInfo {
  int64_t requestLatencyMs = 0;
  int64_t proxyLatencyMs = 0;
  int64_t upstreamLatencyMs = -1;
  std::string upstreamTarget;
  uint64_t bytesSent = 0;
  uint64_t bytesReceived = 0;
  std::string upstreamUri;
  int64_t finishedAtMs = 0;
  bool clientAborted = false;
};

// Everything one phase call carries (PhaseCall without the instance list).
struct PhaseInput {
  Phase phase = Phase::Access;
  RequestSnapshot request;
  std::optional<ResponseSnapshot> response;
  std::map<std::string, std::string> shared;  // kong.ctx.shared: key -> JSON text.
  std::string routeId;
  std::string serviceId;
  std::optional<Consumer> consumer;
  std::optional<Credential> credential;
  std::optional<LogInfo> log;
};

enum class HeaderAction { Set = 1, Add = 2, Clear = 3 };
enum class LogLevel { Debug = 1, Info, Notice, Warn, Err, Crit, Alert };

// The mutations of mutation.proto, one struct per `op`.
namespace mutation {
struct RequestHeader {
  HeaderAction action;
  std::string name, value;
};
struct RequestPath { std::string path; };
struct RequestRawQuery { std::string query; };
struct RequestMethod { std::string method; };
struct RequestScheme { std::string scheme; };
struct RequestBody { std::string body; };
struct Target {
  std::string host;
  uint32_t port = 0;
};
struct Upstream { std::string name; };
struct ResponseHeader {
  HeaderAction action;
  std::string name, value;
};
struct ResponseStatus { int status = 0; };
struct ResponseBody { std::string body; };
struct SharedSet {
  std::string key;
  std::string jsonValue;  // Empty deletes the key.
};
struct Exit {
  int status = 0;
  std::optional<std::string> body;  // nullopt: no body at all.
  Headers headers;
};
struct Log {
  LogLevel level = LogLevel::Info;
  std::string message;
};
struct Authenticate {
  std::optional<Consumer> consumer;
  std::optional<Credential> credential;
};
}  // namespace mutation

using MutationOp =
    std::variant<mutation::RequestHeader, mutation::RequestPath, mutation::RequestRawQuery,
                 mutation::RequestMethod, mutation::RequestScheme, mutation::RequestBody,
                 mutation::Target, mutation::Upstream, mutation::ResponseHeader,
                 mutation::ResponseStatus, mutation::ResponseBody, mutation::SharedSet,
                 mutation::Exit, mutation::Log, mutation::Authenticate>;

struct Mutation {
  uint64_t instanceId = 0;
  MutationOp op;
};

// PluginError of the protocol.
struct PhaseError {
  enum class Kind { Handler = 1, UnknownInstance = 2 };
  Kind kind = Kind::Handler;
  uint64_t instanceId = 0;
  std::string message;
};

// What a phase call answers (PhaseResult).
struct PhaseOutput {
  std::vector<Mutation> mutations;
  uint32_t completed = 0;
  std::optional<PhaseError> error;
  bool cancelled = false;  // The core cancelled the call; nothing is sent back.
};

// Lazy fetches (Fetch.what) and their answers (FetchResult.result).
namespace fetch {
struct RequestBody {};
struct Route {};
struct Service {};
struct Consumer {
  std::string idOrUsername;
  bool byUsername = false;
};
struct UriCaptures {};
struct Credential {
  std::string kind, field, value;
};
struct NodeId {};
struct IsTrustedIp { std::string address; };
struct NotFound { std::string message; };
}  // namespace fetch

using FetchRequest = std::variant<fetch::RequestBody, fetch::Route, fetch::Service, fetch::Consumer,
                                  fetch::UriCaptures, fetch::Credential, fetch::NodeId,
                                  fetch::IsTrustedIp>;
// std::string is the request body for RequestBody and the node id for NodeId.
using FetchAnswer = std::variant<fetch::NotFound, std::string, entities::Route,
                                 entities::Service, entities::Consumer,
                                 gantry_pdk::UriCaptures, CredentialMatch, bool>;

}  // namespace gantry_pdk
