#include "plugin/mutation_rules.h"

#include <array>
#include <string>

#include <nlohmann/json.hpp>

#include "gateway/http/header_map.h"
#include "gateway/http1/codec.h"

namespace gateway::plugin::rules {
namespace {


Status bad(std::string message) { return invalidArgument(std::move(message)); }

} // namespace

bool isToken(std::string_view s) { return http1::isValidHeaderName(s); }

bool isHopByHopHeader(std::string_view name) {
  static constexpr std::array<std::string_view, 7> kHopByHop = {
      "connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
      "proxy-connection"};
  for (auto h : kHopByHop) {
    if (http::iequals(name, h)) {
      return true;
    }
  }
  return false;
}

Status checkHeaderName(std::string_view name) {
  if (name.empty()) {
    return bad("empty header name");
  }
  if (name.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) {
    return bad("header name contains CR, LF or NUL");
  }
  if (!http1::isValidHeaderName(name)) {
    return bad("header name \"" + std::string(name) + "\" is not a token");
  }
  return Status::ok();
}

Status checkHeaderValue(std::string_view value) {
  if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) {
    return bad("header value contains CR, LF or NUL");
  }
  if (!http1::isValidHeaderValue(value)) {
    return bad("header value contains a control character");
  }
  return Status::ok();
}

Status checkHeaderField(std::string_view name, std::string_view value) {
  if (auto s = checkHeaderName(name); !s) {
    return s;
  }
  if (isHopByHopHeader(name)) {
    return bad("hop-by-hop header \"" + std::string(name) + "\" cannot be changed by plugins");
  }
  if (http::iequals(name, "content-length")) {
    return bad("Content-Length is set by gantry and cannot be changed by plugins");
  }
  return checkHeaderValue(value);
}

Status checkHeaderMutation(const v1::HeaderMutation& m) {
  switch (m.action()) {
  case v1::HEADER_ACTION_SET:
  case v1::HEADER_ACTION_ADD:
    return checkHeaderField(m.name(), m.value());
  case v1::HEADER_ACTION_CLEAR:
    return checkHeaderField(m.name(), "");
  default:
    return bad("header mutation without a valid action");
  }
}

Status checkExitStatus(int status) {
  if (status < 100 || status > 599) {
    return bad("exit status " + std::to_string(status) + " is outside 100-599");
  }
  return Status::ok();
}

Status checkResponseStatus(int status) {
  if (status < 200 || status > 599) {
    return bad("response status " + std::to_string(status) + " is outside 200-599");
  }
  return Status::ok();
}

Status checkPath(std::string_view path) {
  if (path.empty() || path.front() != '/') {
    return bad("path must start with \"/\"");
  }
  for (char c : path) {
    const auto u = static_cast<unsigned char>(c);
    if (c == ' ' || u < 0x20 || u == 0x7f) {
      return bad("path contains a space or control character (CR, LF, NUL, ...)");
    }
  }
  return Status::ok();
}

Status checkRawQuery(std::string_view query) {
  for (char c : query) {
    const auto u = static_cast<unsigned char>(c);
    if (c == ' ' || c == '#' || u < 0x20 || u == 0x7f) {
      return bad("query contains a space, '#' or control character");
    }
  }
  return Status::ok();
}

Status checkMethod(std::string_view method) {
  if (!isToken(method)) {
    return bad("method \"" + std::string(method) + "\" is not a token");
  }
  return Status::ok();
}

Status checkScheme(std::string_view scheme) {
  if (scheme != "http") {
    return bad("scheme \"" + std::string(scheme) + "\" is not supported (only \"http\")");
  }
  return Status::ok();
}

Status checkTarget(const v1::Target& target) {
  if (target.host().empty()) {
    return bad("target host is empty");
  }
  for (char c : target.host()) {
    const auto u = static_cast<unsigned char>(c);
    if (c == ' ' || c == '/' || c == '?' || c == '#' || c == '@' || u < 0x20 || u == 0x7f) {
      return bad("target host contains an invalid character");
    }
  }
  if (target.port() == 0 || target.port() > 65535) {
    return bad("target port " + std::to_string(target.port()) + " is outside 1-65535");
  }
  return Status::ok();
}

Status checkBodySize(size_t size, const MutationLimits& limits) {
  if (size > limits.maxBodyBytes) {
    return bad("body of " + std::to_string(size) + " bytes exceeds the limit of " +
               std::to_string(limits.maxBodyBytes));
  }
  return Status::ok();
}

Status checkSharedKey(std::string_view key) {
  if (key.empty()) {
    return bad("empty ctx.shared key");
  }
  return Status::ok();
}

Status checkJsonValue(std::string_view json) {
  if (json.empty()) {
    return Status::ok();
  }
  if (!nlohmann::json::accept(json)) {
    return bad("ctx.shared value is not valid JSON");
  }
  return Status::ok();
}

const char* opName(v1::Mutation::OpCase op) {
  using M = v1::Mutation;
  switch (op) {
  case M::kRequestHeader: return "request_header";
  case M::kRequestPath: return "request_path";
  case M::kRequestRawQuery: return "request_raw_query";
  case M::kRequestMethod: return "request_method";
  case M::kRequestScheme: return "request_scheme";
  case M::kRequestBody: return "request_body";
  case M::kTarget: return "target";
  case M::kUpstream: return "upstream";
  case M::kResponseHeader: return "response_header";
  case M::kResponseStatus: return "response_status";
  case M::kResponseBody: return "response_body";
  case M::kShared: return "shared";
  case M::kExit: return "exit";
  case M::kLog: return "log";
  case M::kAuthenticate: return "authenticate";
  case M::OP_NOT_SET: return "(empty)";
  }
  return "(unknown)";
}

Status allowedInPhase(v1::Mutation::OpCase op, Phase phase) {
  using M = v1::Mutation;
  bool ok = false;
  switch (op) {
  case M::kRequestHeader: case M::kRequestPath: case M::kRequestRawQuery:
  case M::kRequestMethod: case M::kRequestScheme: case M::kRequestBody: case M::kTarget:
  case M::kUpstream: case M::kAuthenticate:
    ok = phase == Phase::Rewrite || phase == Phase::Access;
    break;
  case M::kResponseHeader:
    ok = phase != Phase::Log;
    break;
  case M::kResponseStatus:
    ok = phase == Phase::Response || phase == Phase::HeaderFilter;
    break;
  case M::kResponseBody:
    ok = phase == Phase::Response;
    break;
  case M::kShared:
    ok = phase != Phase::Log;
    break;
  case M::kExit:
    ok = phase != Phase::Log;
    break;
  case M::kLog:
    ok = true;
    break;
  case M::OP_NOT_SET:
    return bad("empty mutation");
  }
  if (!ok) {
    return bad(std::string(opName(op)) + " is not allowed in the " + phaseName(phase) + " phase");
  }
  return Status::ok();
}

} // namespace gateway::plugin::rules
