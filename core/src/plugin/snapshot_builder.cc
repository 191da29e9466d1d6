#include "plugin/snapshot_builder.h"

#include <string>

namespace gateway::plugin {

v1::Phase toProtoPhase(Phase phase) {
  switch (phase) {
  case Phase::Rewrite: return v1::PHASE_REWRITE;
  case Phase::Access: return v1::PHASE_ACCESS;
  case Phase::Response: return v1::PHASE_RESPONSE;
  case Phase::HeaderFilter: return v1::PHASE_HEADER_FILTER;
  case Phase::Log: return v1::PHASE_LOG;
  }
  return v1::PHASE_UNSPECIFIED;
}

void fillConsumer(v1::Consumer& out, const config::Consumer& c) {
  out.set_id(c.id);
  out.set_username(c.username);
  out.set_custom_id(c.customId);
  for (const auto& t : c.tags) {
    out.add_tags(t);
  }
}

void fillRoute(v1::Route& out, const config::Route& r) {
  out.set_id(r.id);
  out.set_name(r.name);
  for (const auto& v : r.protocols) out.add_protocols(v);
  for (const auto& v : r.methods) out.add_methods(v);
  for (const auto& v : r.hosts) out.add_hosts(v);
  for (const auto& v : r.paths) out.add_paths(v);
  for (const auto& [name, values] : r.headers) {
    std::string flat = name + ":";
    for (size_t i = 0; i < values.size(); ++i) {
      flat += (i ? "," : "") + values[i];
    }
    out.add_headers(flat);
  }
  out.set_https_redirect_status_code(r.httpsRedirectStatusCode);
  out.set_regex_priority(r.regexPriority);
  out.set_strip_path(r.stripPath);
  out.set_preserve_host(r.preserveHost);
  for (const auto& v : r.tags) out.add_tags(v);
  out.set_service_id(r.serviceId);
  out.set_path_handling(r.pathHandling);
}

void fillService(v1::Service& out, const config::Service& s) {
  out.set_id(s.id);
  out.set_name(s.name);
  out.set_retries(s.retries);
  out.set_protocol(s.protocol);
  out.set_host(s.host);
  out.set_port(s.port);
  out.set_path(s.path);
  out.set_connect_timeout(static_cast<int32_t>(s.connectTimeout.count()));
  out.set_write_timeout(static_cast<int32_t>(s.writeTimeout.count()));
  out.set_read_timeout(static_cast<int32_t>(s.readTimeout.count()));
  for (const auto& v : s.tags) out.add_tags(v);
}

} // namespace gateway::plugin
