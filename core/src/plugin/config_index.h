#pragma once

// Lookups over one Config that plugins need (consumers by id/username, credentials by a field's
// value, routes/services by id, upstreams by name), built once per plan so that the data path
// never scans the Config. Immutable after construction; shares the Config's lifetime (it holds
// the ConfigSharedPtr).

#include <string>
#include <string_view>
#include <unordered_map>

#include "gateway/config/model.h"

namespace gateway::plugin {

class ConfigIndex {
public:
  explicit ConfigIndex(config::ConfigSharedPtr config);

  const config::Config& config() const { return *config_; }
  const config::Consumer* consumerById(std::string_view id) const;
  const config::Consumer* consumerByUsername(std::string_view username) const;
  const config::Route* routeById(std::string_view id) const;
  const config::Service* serviceById(std::string_view id) const;
  bool hasUpstream(std::string_view name) const;

  struct CredentialHit {
    const config::Credential* credential{nullptr};
    const config::Consumer* consumer{nullptr};
  };
  // The first credential of `kind` whose `field` equals `value` (a string field, or a number
  // compared by its decimal text). Linear in the credentials of that kind.
  CredentialHit findCredential(std::string_view kind, std::string_view field,
                               std::string_view value) const;

private:
  config::ConfigSharedPtr config_;
  std::unordered_map<std::string, const config::Consumer*> consumersById_;
  std::unordered_map<std::string, const config::Consumer*> consumersByUsername_;
  std::unordered_map<std::string, const config::Route*> routesById_;
  std::unordered_map<std::string, const config::Service*> servicesById_;
};

} // namespace gateway::plugin
