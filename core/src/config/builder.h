#pragma once

// Internal state of one load: the Config being built, the errors found so far, and what cannot be
// decided while reading (references by name/id to entities that may come later in the file).
// Loading is two passes: the parse_*.cc files read every section in file order into a Builder,
// then resolve() turns references into ids and checks uniqueness across the whole file.

#include <optional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "config/yaml_reader.h"
#include "gateway/config/model.h"

namespace gateway::config::detail {

// Where an entity or a reference was written, for messages after the first pass.
struct Origin {
  std::string path;
  YAML::Mark mark;
};

// A foreign key as written: `service: x` (an id or a name), `service: {id: x}` or `{name: x}`.
struct Ref {
  enum class By { IdOrName, Id, Name };
  std::string value;
  By by{By::IdOrName};
  Origin origin;
};

struct PluginRefs {
  std::optional<Ref> service, route, consumer;
};

// The entity a nested list belongs to (plugins under a service/route/consumer).
struct Parent {
  enum class Kind { None, Service, Route, Consumer };
  Kind kind{Kind::None};
  std::string id;
};

struct Builder {
  Config config;
  ErrorList errors;
  bool legacyFormat{false};  // _format_version 1.1/2.1: migrate regex paths (Kong's rule).

  std::vector<Origin> serviceOrigins, routeOrigins, upstreamOrigins, consumerOrigins, pluginOrigins;
  std::vector<std::vector<Origin>> targetOrigins;      // per upstream, parallel to its targets
  std::vector<std::vector<Origin>> credentialOrigins;  // per consumer, parallel to its credentials
  std::vector<std::optional<Ref>> routeServiceRefs;    // parallel to config.routes
  std::vector<PluginRefs> pluginRefs;                  // parallel to config.plugins

  struct PendingTarget { Target target; Ref upstream; Origin origin; };
  struct PendingCredential { Credential credential; Ref consumer; Origin origin; };
  std::vector<PendingTarget> topLevelTargets;
  std::vector<PendingCredential> topLevelCredentials;
};

// entity_common.cc: fields shared by all entities.
// Reads `id` (must be a UUID) or generates one.
void readId(MapReader& m, std::string& id);
void readTags(MapReader& m, std::vector<std::string>& tags);
// Reads a foreign key field; nullopt when absent or invalid (invalid ones are reported).
std::optional<Ref> readRef(MapReader& m, const std::string& key);
// Kong timestamps (`created_at`, `updated_at`) are accepted and ignored.
void acceptTimestamps(MapReader& m);
// True for keys that hold consumer credentials: keyauth_credentials, basicauth_credentials,
// jwt_secrets, acls, hmacauth_credentials and any other `*_credentials`.
bool isCredentialKey(const std::string& key);
// Runs `fn(element, elementPath)` for each element of a sequence field value.
template <typename Fn> void forEach(Builder& b, const YAML::Node& list, const std::string& path, Fn&& fn) {
  if (!isSequence(list, path, b.errors)) return;
  for (size_t i = 0; i < list.size(); ++i) fn(list[i], indexPath(path, i));
}

// parse_services.cc
void parseService(Builder& b, const YAML::Node& node, const std::string& path);
void parseRoute(Builder& b, const YAML::Node& node, const std::string& path, const std::string* serviceId);
// parse_upstreams.cc
void parseUpstream(Builder& b, const YAML::Node& node, const std::string& path);
void parseTopLevelTarget(Builder& b, const YAML::Node& node, const std::string& path);
// parse_consumers.cc
void parseConsumer(Builder& b, const YAML::Node& node, const std::string& path);
void parseTopLevelCredential(Builder& b, const std::string& type, const YAML::Node& node,
                             const std::string& path);
// parse_plugins.cc
void parsePlugin(Builder& b, const YAML::Node& node, const std::string& path, const Parent& parent);
// parse_gantry.cc
void parseGatewaySettings(Builder& b, const YAML::Node& node, const std::string& path);
void parsePluginServer(Builder& b, const YAML::Node& node, const std::string& path);
// resolve.cc: second pass (references, uniqueness, route order).
void resolve(Builder& b);

} // namespace gateway::config::detail
