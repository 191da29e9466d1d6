#pragma once

// Answers a plugin's Fetch (data outside the snapshot) from the request and the Config. Pure.
// Only the request body may need I/O (the proxy reads it through RequestDataSource); that case
// is reported as NeedsRequestBody and the caller answers once the body is there.

#include <string>
#include <string_view>

#include "gateway/plugin/v1/plugin_service.pb.h"
#include "gateway/router/router.h"
#include "plugin/config_index.h"

namespace gateway::plugin {

struct FetchContext {
  const ConfigIndex* index{nullptr};           // Never null.
  const config::Route* route{nullptr};         // Matched route, if any.
  const config::Service* service{nullptr};
  const router::RouteMatch* match{nullptr};    // For uri captures.
  const std::string* requestBody{nullptr};     // Null: not read yet (or not available).
  bool requestBodyAvailable{true};             // False in the log phase: answer not_found.
  std::string_view nodeId;
};

enum class FetchAnswer {
  Answered,          // `out` is complete.
  NeedsRequestBody,  // Read the body, set FetchContext::requestBody, call again.
};

FetchAnswer answerFetch(const v1::Fetch& fetch, const FetchContext& ctx, v1::FetchResult& out);

// kong.ip.is_trusted: only loopback addresses (127.0.0.0/8, ::1) are trusted for now.
bool isTrustedIp(std::string_view ip);

} // namespace gateway::plugin
