// Downstream side of the PDK: Request (as received) and Client.
#include <algorithm>

#include "call_state.h"
#include "gantry_pdk/pdk.h"
#include "pdk_util.h"

namespace gantry_pdk {

using detail::headerNameEquals;

std::string_view Request::scheme() const { return state_.input().request.scheme; }
std::string_view Request::host() const { return state_.input().request.host; }
uint32_t Request::port() const { return state_.input().request.port; }
std::string_view Request::forwardedScheme() const {
  const auto& r = state_.input().request;
  return r.forwardedScheme.empty() ? r.scheme : r.forwardedScheme;
}
std::string_view Request::forwardedHost() const {
  const auto& r = state_.input().request;
  return r.forwardedHost.empty() ? r.host : r.forwardedHost;
}
uint32_t Request::forwardedPort() const { return state_.input().request.port; }
std::string_view Request::method() const { return state_.input().request.method; }
std::string_view Request::path() const { return state_.input().request.path; }
std::string Request::pathWithQuery() const {
  const auto& r = state_.input().request;
  return r.rawQuery.empty() ? r.path : r.path + "?" + r.rawQuery;
}
std::string_view Request::rawQuery() const { return state_.input().request.rawQuery; }

std::optional<std::string> Request::queryArg(std::string_view name) const {
  HeaderMap args = detail::parseQuery(state_.input().request.rawQuery);
  auto it = args.find(std::string(name));
  if (it == args.end() || it->second.empty()) {
    return std::nullopt;
  }
  return it->second.front();
}

HeaderMap Request::query() const { return detail::parseQuery(state_.input().request.rawQuery); }

std::optional<std::string_view> Request::header(std::string_view name) const {
  return detail::findHeader(state_.input().request.headers, name);
}
const Headers& Request::headers() const { return state_.input().request.headers; }
HeaderMap Request::headerMap() const { return detail::groupHeaders(state_.input().request.headers); }
std::string_view Request::httpVersion() const { return state_.input().request.httpVersion; }

std::string_view Request::rawBody() {
  auto& request = state_.mutableInput().request;
  if (!request.body) {
    FetchAnswer answer = state_.fetch(fetch::RequestBody{});
    auto* body = std::get_if<std::string>(&answer);
    request.body = body ? std::move(*body) : std::string();
  }
  return *request.body;
}

UriCaptures Request::uriCaptures() {
  FetchAnswer answer = state_.fetch(fetch::UriCaptures{});
  auto* captures = std::get_if<UriCaptures>(&answer);
  return captures ? std::move(*captures) : UriCaptures{};
}

int64_t Request::startTimeMs() const { return state_.input().request.startTimeMs; }
std::string_view Request::id() const { return state_.input().request.requestId; }

std::string_view Client::ip() const { return state_.input().request.clientIp; }
uint32_t Client::port() const { return state_.input().request.clientPort; }
std::string_view Client::forwardedIp() const { return state_.input().request.clientIp; }
uint32_t Client::forwardedPort() const { return state_.input().request.clientPort; }
std::optional<Consumer> Client::consumer() const { return state_.input().consumer; }
std::optional<Credential> Client::credential() const { return state_.input().credential; }

void Client::authenticate(std::optional<Consumer> consumer, std::optional<Credential> credential) {
  if (!consumer && !credential) {
    throw std::invalid_argument("authenticate: a consumer or a credential is required");
  }
  state_.record(mutation::Authenticate{std::move(consumer), std::move(credential)});
}

std::optional<Consumer> Client::loadConsumer(std::string_view idOrUsername, bool byUsername) {
  FetchAnswer answer = state_.fetch(fetch::Consumer{std::string(idOrUsername), byUsername});
  if (auto* consumer = std::get_if<Consumer>(&answer)) {
    return std::move(*consumer);
  }
  return std::nullopt;
}

std::optional<CredentialMatch> Client::findCredential(std::string_view kind,
                                                      std::string_view field,
                                                      std::string_view value) {
  FetchAnswer answer = state_.fetch(
      fetch::Credential{std::string(kind), std::string(field), std::string(value)});
  if (auto* match = std::get_if<CredentialMatch>(&answer)) {
    return std::move(*match);
  }
  return std::nullopt;
}

}  // namespace gantry_pdk
