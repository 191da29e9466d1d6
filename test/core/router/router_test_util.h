#pragma once

// Builds Configs for router tests: one service "svc" and routes added in creation order.

#include <string>
#include <vector>

#include "gateway/config/model.h"
#include "gateway/http/header_map.h"
#include "gateway/router/router.h"

namespace gateway::router::test {

class RouteTable {
public:
  RouteTable() {
    config::Service service;
    service.id = "svc";
    service.host = "backend";
    config_.services.push_back(service);
  }

  // Adds a route named `name`; returns it for further editing (valid until the next add()).
  config::Route& add(std::string name) {
    config::Route route;
    route.id = name;
    route.name = std::move(name);
    route.serviceId = "svc";
    route.order = config_.routes.size();
    config_.routes.push_back(std::move(route));
    return config_.routes.back();
  }

  config::Config& config() { return config_; }

  RouterPtr build() const { return createRouter(config_); }

private:
  config::Config config_;
};

// The name of the route matching the request, or "404".
inline std::string matchName(const Router& router, std::string_view method, std::string_view host,
                             std::string_view path, const http::HeaderMap* headers = nullptr) {
  http::HeaderMap empty;
  MatchInput input{method, host, path, headers != nullptr ? headers : &empty};
  std::optional<RouteMatch> m = router.match(input);
  return m ? m->route->name : "404";
}

} // namespace gateway::router::test
