// Response (to the client), ServiceRequest (to the upstream), ServiceResponse (from the
// upstream) and Service (where the request goes).
#include "call_state.h"
#include "gantry_pdk/pdk.h"
#include "pdk_util.h"

namespace gantry_pdk {
namespace {
const Headers kNoHeaders;
}

int Response::status() const {
  return state_.input().response ? state_.input().response->status : 0;
}
std::optional<std::string_view> Response::header(std::string_view name) const {
  return detail::findHeader(state_.responseHeaders(), name);
}
const Headers& Response::headers() const { return state_.responseHeaders(); }
HeaderMap Response::headerMap() const { return detail::groupHeaders(state_.responseHeaders()); }
std::string_view Response::source() const {
  return state_.input().response ? std::string_view(state_.input().response->source)
                                 : std::string_view();
}

void Response::setStatus(int status) { state_.record(mutation::ResponseStatus{status}); }
void Response::setHeader(std::string_view name, std::string_view value) {
  state_.record(mutation::ResponseHeader{HeaderAction::Set, std::string(name), std::string(value)});
}
void Response::addHeader(std::string_view name, std::string_view value) {
  state_.record(mutation::ResponseHeader{HeaderAction::Add, std::string(name), std::string(value)});
}
void Response::clearHeader(std::string_view name) {
  state_.record(mutation::ResponseHeader{HeaderAction::Clear, std::string(name), {}});
}
void Response::setHeaders(const HeaderMap& headers) {
  for (const auto& [name, values] : headers) {
    clearHeader(name);
    for (const std::string& value : values) {
      addHeader(name, value);
    }
  }
}
void Response::setRawBody(std::string body) {
  state_.record(mutation::ResponseBody{std::move(body)});
}

void Response::exit(int status) { state_.record(mutation::Exit{status, std::nullopt, {}}); }
void Response::exit(int status, std::string body, Headers headers) {
  state_.record(mutation::Exit{status, std::move(body), std::move(headers)});
}
void Response::exitJson(int status, const nlohmann::json& body, Headers headers) {
  if (!detail::findHeader(headers, "content-type")) {
    headers.push_back({"Content-Type", "application/json; charset=utf-8"});
  }
  exit(status, body.dump(), std::move(headers));
}

void ServiceRequest::setScheme(std::string_view scheme) {
  state_.record(mutation::RequestScheme{std::string(scheme)});
}
void ServiceRequest::setPath(std::string_view path) {
  state_.record(mutation::RequestPath{std::string(path)});
}
void ServiceRequest::setRawQuery(std::string_view query) {
  state_.record(mutation::RequestRawQuery{std::string(query)});
}
void ServiceRequest::setQuery(const HeaderMap& args) { setRawQuery(detail::encodeQuery(args)); }
void ServiceRequest::setMethod(std::string_view method) {
  state_.record(mutation::RequestMethod{std::string(method)});
}
void ServiceRequest::setHeader(std::string_view name, std::string_view value) {
  state_.record(mutation::RequestHeader{HeaderAction::Set, std::string(name), std::string(value)});
}
void ServiceRequest::addHeader(std::string_view name, std::string_view value) {
  state_.record(mutation::RequestHeader{HeaderAction::Add, std::string(name), std::string(value)});
}
void ServiceRequest::clearHeader(std::string_view name) {
  state_.record(mutation::RequestHeader{HeaderAction::Clear, std::string(name), {}});
}
void ServiceRequest::setHeaders(const HeaderMap& headers) {
  for (const auto& [name, values] : headers) {
    clearHeader(name);
    for (const std::string& value : values) {
      addHeader(name, value);
    }
  }
}
void ServiceRequest::setRawBody(std::string body) {
  state_.record(mutation::RequestBody{std::move(body)});
}

int ServiceResponse::status() const {
  return state_.input().response ? state_.input().response->serviceStatus : 0;
}
std::optional<std::string_view> ServiceResponse::header(std::string_view name) const {
  return detail::findHeader(headers(), name);
}
const Headers& ServiceResponse::headers() const {
  return state_.input().response ? state_.input().response->serviceHeaders : kNoHeaders;
}
HeaderMap ServiceResponse::headerMap() const { return detail::groupHeaders(headers()); }
std::optional<std::string_view> ServiceResponse::rawBody() const {
  const auto& response = state_.input().response;
  if (!response || !response->body) {
    return std::nullopt;
  }
  return std::string_view(*response->body);
}

void Service::setTarget(std::string_view host, uint32_t port) {
  state_.record(mutation::Target{std::string(host), port});
}
void Service::setUpstream(std::string_view upstreamName) {
  state_.record(mutation::Upstream{std::string(upstreamName)});
}

}  // namespace gantry_pdk
