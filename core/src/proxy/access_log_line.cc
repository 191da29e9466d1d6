#include "proxy/access_log_line.h"

#include <ctime>

#include "proxy/local_reply.h"

namespace gateway::proxy {

namespace {

void appendTime(std::chrono::system_clock::time_point t, std::string& out, bool iso) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[48];
  size_t n = iso ? std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm)
                 : std::strftime(buf, sizeof(buf), "%d/%b/%Y:%H:%M:%S", &tm);
  out.append(buf, n);
  if (iso) {
    char frac[8];
    int m = std::snprintf(frac, sizeof(frac), ".%03dZ", static_cast<int>(ms % 1000));
    out.append(frac, static_cast<size_t>(m));
  } else {
    out += " +0000";
  }
}

void appendString(std::string& out, std::string_view key, std::string_view value) {
  out += '"';
  out += key;
  out += "\":\"";
  appendJsonEscaped(out, value);
  out += "\",";
}

void appendNumber(std::string& out, std::string_view key, int64_t value) {
  out += '"';
  out += key;
  out += "\":";
  out += std::to_string(value);
  out += ',';
}

std::string_view entityName(const std::string& name, const std::string& id) {
  return name.empty() ? std::string_view(id) : std::string_view(name);
}

} // namespace

void appendAccessLogLine(const RequestState& s, const AccessLogFields& f, std::string& out) {
  out.reserve(out.size() + 384 + s.request.path.size() + s.request.rawQuery.size());
  out += "{\"time\":\"";
  appendTime(s.startedAt, out, true);
  out += "\",";
  appendString(out, "request_id", f.requestId);
  appendString(out, "client_ip", s.clientIp);
  appendString(out, "method", s.request.method);
  appendString(out, "path", s.request.path);
  appendString(out, "query", s.request.rawQuery);
  appendNumber(out, "status", f.status);
  appendNumber(out, "bytes_sent", static_cast<int64_t>(s.bytesSent));
  appendNumber(out, "bytes_received", static_cast<int64_t>(s.bytesReceived));
  if (s.route != nullptr) {
    appendString(out, "route", entityName(s.route->name, s.route->id));
  } else {
    out += "\"route\":null,";
  }
  if (s.service != nullptr) {
    appendString(out, "service", entityName(s.service->name, s.service->id));
  } else {
    out += "\"service\":null,";
  }
  if (!f.upstream.empty()) {
    appendString(out, "upstream", f.upstream);
  } else {
    out += "\"upstream\":null,";
  }
  if (s.serviceStatus != 0) {
    appendNumber(out, "upstream_status", s.serviceStatus);
  } else {
    out += "\"upstream_status\":null,";
  }
  out += "\"latencies\":{\"request\":";
  out += std::to_string(s.totalLatencyMs);
  out += ",\"proxy\":";
  out += std::to_string(s.proxyLatencyMs);
  out += ",\"upstream\":";
  out += std::to_string(s.upstreamLatencyMs);
  out += "}}";
}

void appendAccessLogText(const RequestState& s, const AccessLogFields& f, std::string& out) {
  out.append(s.clientIp).append(" - - [");
  appendTime(s.startedAt, out, false);
  out.append("] \"").append(s.request.method).append(" ").append(s.request.path);
  if (s.request.hasQuery) {
    out.append("?").append(s.request.rawQuery);
  }
  out.append(s.request.versionMinor == 0 ? " HTTP/1.0\" " : " HTTP/1.1\" ");
  out.append(std::to_string(f.status)).append(" ").append(std::to_string(s.bytesSent));
  out.append(" request_id: \"").append(f.requestId).append("\"");
}

} // namespace gateway::proxy
