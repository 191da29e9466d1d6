#include "proxy/headers.h"

#include <array>

#include "proxy/local_reply.h"

namespace gateway::proxy::headers {

using http::iequals;

namespace {

constexpr std::array<std::string_view, 8> kHopByHop = {
    "connection", "keep-alive", "proxy-connection", "te",
    "trailer",    "transfer-encoding", "proxy-authenticate", "upgrade"};

// Headers the gateway sets on the upstream request itself (client values dropped or merged).
constexpr std::array<std::string_view, 13> kGatewayOwned = {
    "host",          "content-length",    "expect",
    "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host",
    "x-forwarded-port", "x-forwarded-path", "x-forwarded-prefix",
    "x-real-ip",     "via",               "x-gantry-request-id",
    "proxy-authorization"};

template <size_t N>
bool inSet(const std::array<std::string_view, N>& set, std::string_view name) {
  for (auto s : set) {
    if (iequals(s, name)) {
      return true;
    }
  }
  return false;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

// Calls fn(token) for each comma-separated token of every Connection header.
template <typename Fn> void forEachConnectionToken(const http::HeaderMap& headers, Fn&& fn) {
  for (const auto& f : headers) {
    if (!iequals(f.name, "connection")) {
      continue;
    }
    std::string_view rest = f.value;
    while (!rest.empty()) {
      size_t comma = rest.find(',');
      std::string_view token = trim(rest.substr(0, comma));
      if (!token.empty() && fn(token)) {
        return;
      }
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
  }
}

void appendField(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append(": ").append(value).append("\r\n");
}

void appendVia(std::string& out, int versionMinor) {
  out += versionMinor == 0 ? "1.0 " : "1.1 ";
  out += kServerToken;
}

// Removes hop-by-hop fields (and those listed in Connection) from a response head.
void removeHopByHop(http::HeaderMap& headers, bool upgrade) {
  if (headers.has("connection")) {
    std::vector<std::string> listed;
    forEachConnectionToken(headers, [&](std::string_view t) {
      if (!(upgrade && iequals(t, "upgrade"))) {
        listed.emplace_back(t);
      }
      return false;
    });
    for (const auto& name : listed) {
      headers.remove(name);
    }
  }
  for (auto name : kHopByHop) {
    if (upgrade && name == "upgrade") {
      continue;
    }
    headers.remove(name);
  }
}

} // namespace

bool isHopByHop(std::string_view name) { return inSet(kHopByHop, name); }

bool listedInConnection(const http::HeaderMap& headers, std::string_view name) {
  bool found = false;
  forEachConnectionToken(headers, [&](std::string_view t) {
    found = iequals(t, name);
    return found;
  });
  return found;
}

void buildUpstreamRequestHead(const http::HeaderMap& clientHeaders, const UpstreamHeadParams& p,
                              std::string& out) {
  out.reserve(out.size() + clientHeaders.byteSize() + p.path.size() + p.query.size() + 384);
  out.append(p.method).append(" ").append(p.path);
  if (p.hasQuery) {
    out.append("?").append(p.query);
  }
  out.append(" HTTP/1.1\r\n");
  appendField(out, "Host", p.host);

  const bool hasConnection = clientHeaders.has("connection");
  const http::HeaderField* xff = nullptr;
  size_t xffCount = 0;
  size_t viaCount = 0;
  for (const auto& f : clientHeaders) {
    if (iequals(f.name, "x-forwarded-for")) {
      xff = &f;
      ++xffCount;
      continue;
    }
    if (iequals(f.name, "via")) {
      ++viaCount;
      continue;
    }
    if (inSet(kGatewayOwned, f.name)) {
      continue;
    }
    if (isHopByHop(f.name)) {
      if (!(p.upgrade && iequals(f.name, "upgrade"))) {
        continue;
      }
    } else if (hasConnection && listedInConnection(clientHeaders, f.name)) {
      continue;
    }
    appendField(out, f.name, f.value);
  }
  if (p.upgrade) {
    out += "Connection: upgrade\r\n";
  }

  // X-Forwarded-For: existing values plus the client address ($proxy_add_x_forwarded_for).
  out += "X-Forwarded-For: ";
  if (xffCount == 1) {
    out.append(xff->value).append(", ");
  } else if (xffCount > 1) {
    out.append(*clientHeaders.getJoined("x-forwarded-for")).append(", ");
  }
  out.append(p.clientIp).append("\r\n");
  appendField(out, "X-Forwarded-Proto", p.forwardedProto);
  appendField(out, "X-Forwarded-Host", p.forwardedHost);
  appendField(out, "X-Forwarded-Port", std::to_string(p.forwardedPort));
  appendField(out, "X-Forwarded-Path", p.forwardedPath);
  if (!p.forwardedPrefix.empty()) {
    appendField(out, "X-Forwarded-Prefix", p.forwardedPrefix);
  }
  appendField(out, "X-Real-IP", p.clientIp);
  if (p.serverTokens || viaCount > 0) {
    out += "Via: ";
    if (viaCount > 0) {
      out.append(*clientHeaders.getJoined("via"));
      if (p.serverTokens) {
        out += ", ";
      }
    }
    if (p.serverTokens) {
      appendVia(out, p.clientVersionMinor);
    }
    out += "\r\n";
  }
  appendField(out, "X-Gantry-Request-Id", p.requestId);
  switch (p.framing) {
  case BodyFraming::None: break;
  case BodyFraming::ContentLength:
    appendField(out, "Content-Length", std::to_string(p.contentLength));
    break;
  case BodyFraming::Chunked: out += "Transfer-Encoding: chunked\r\n"; break;
  }
  out += "\r\n";
}

std::string upstreamHost(const upstream::Endpoint& target, const config::Upstream* upstream,
                         bool preserveHost, std::string_view clientHost) {
  if (preserveHost && !clientHost.empty()) {
    return std::string(clientHost);
  }
  if (upstream != nullptr && !upstream->hostHeader.empty()) {
    return upstream->hostHeader;
  }
  if (target.port == 80) {
    return target.host;
  }
  std::string host;
  host.reserve(target.host.size() + 6);
  host.append(target.host).append(":").append(std::to_string(target.port));
  return host;
}

std::string normalizeHost(std::string_view hostHeader) {
  std::string_view h = trim(hostHeader);
  if (!h.empty() && h.front() == '[') {
    size_t close = h.find(']');
    h = close == std::string_view::npos ? h : h.substr(0, close + 1);
  } else {
    size_t colon = h.find(':');
    if (colon != std::string_view::npos) {
      h = h.substr(0, colon);
    }
  }
  std::string out(h);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c + 32);
    }
  }
  return out;
}

void rewriteUpstreamResponse(http::ResponseHead& head, const ResponseParams& p) {
  removeHopByHop(head.headers, p.upgrade);
  if (p.serverTokens) {
    std::string via;
    if (auto existing = head.headers.getJoined("via")) {
      via = std::move(*existing);
      via += ", ";
    }
    appendVia(via, 1);
    head.headers.set("Via", std::move(via));
    if (!head.headers.has("server")) {
      head.headers.add("Server", std::string(kServerToken));
    }
  }
  head.headers.set("X-Gantry-Request-Id", std::string(p.requestId));
  if (p.latencyHeaders) {
    head.headers.set("X-Gantry-Upstream-Latency", std::to_string(p.upstreamLatencyMs));
    head.headers.set("X-Gantry-Proxy-Latency", std::to_string(p.proxyLatencyMs));
  }
}

void decorateLocalResponse(http::ResponseHead& head, std::string_view requestId, bool serverTokens,
                           bool latencyHeaders, int64_t responseLatencyMs) {
  if (serverTokens && !head.headers.has("server")) {
    head.headers.add("Server", std::string(kServerToken));
  }
  head.headers.set("X-Gantry-Request-Id", std::string(requestId));
  if (latencyHeaders) {
    head.headers.set("X-Gantry-Response-Latency", std::to_string(responseLatencyMs));
  }
}

ClientFraming chooseClientFraming(std::string_view method, int clientVersionMinor, int status,
                                  http::BodyFraming upstreamFraming) {
  if (method == "HEAD" || status < 200 || status == 204 || status == 304) {
    return ClientFraming::NoBody;
  }
  switch (upstreamFraming) {
  case http::BodyFraming::None:
  case http::BodyFraming::ContentLength: return ClientFraming::ContentLength;
  case http::BodyFraming::Chunked:
  case http::BodyFraming::UntilClose:
    return clientVersionMinor == 0 ? ClientFraming::UntilClose : ClientFraming::Chunked;
  }
  return ClientFraming::ContentLength;
}

void setClientFraming(http::ResponseHead& head, ClientFraming framing, uint64_t contentLength,
                      bool keepAlive, int clientVersionMinor, bool upgrade) {
  head.versionMajor = 1;
  head.versionMinor = 1;
  head.headers.remove("transfer-encoding");
  switch (framing) {
  case ClientFraming::NoBody:
    // HEAD and 304 keep the upstream's Content-Length (it describes the entity); 1xx/204 have none.
    if (head.status < 200 || head.status == 204) {
      head.headers.remove("content-length");
    }
    break;
  case ClientFraming::ContentLength:
    head.headers.set("Content-Length", std::to_string(contentLength));
    break;
  case ClientFraming::Chunked:
    head.headers.remove("content-length");
    head.headers.add("Transfer-Encoding", "chunked");
    break;
  case ClientFraming::UntilClose:
    head.headers.remove("content-length");
    keepAlive = false;
    break;
  }
  head.headers.remove("connection");
  if (upgrade) {
    head.headers.add("Connection", "upgrade");
  } else if (!keepAlive) {
    head.headers.add("Connection", "close");
  } else if (clientVersionMinor == 0) {
    head.headers.add("Connection", "keep-alive");
  }
  head.keepAlive = keepAlive;
}

} // namespace gateway::proxy::headers
