#include "config/validators.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <random>
#include <regex>

namespace gateway::config::detail {

std::string generateUuid() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  uint64_t hi = rng(), lo = rng();
  hi = (hi & 0xFFFFFFFFFFFF0FFFULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;  // variant 10
  char buf[37];
  snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
           static_cast<unsigned>((hi >> 16) & 0xFFFF), static_cast<unsigned>(hi & 0xFFFF),
           static_cast<unsigned>(lo >> 48), static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFULL));
  return buf;
}

std::string stableUuid(std::string_view key) {
  // Two FNV-1a 64-bit hashes with different offsets give 128 bits; formatted as a UUID with the
  // version-5 nibble (name-based) and the RFC 4122 variant.
  auto fnv = [&](uint64_t h) {
    for (unsigned char c : key) {
      h ^= c;
      h *= 0x100000001b3ULL;
    }
    return h;
  };
  uint64_t hi = fnv(0xcbf29ce484222325ULL), lo = fnv(0x84222325cbf29ce4ULL ^ key.size());
  hi = (hi & 0xFFFFFFFFFFFF0FFFULL) | 0x0000000000005000ULL;  // version 5 (name-based)
  lo = (lo & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;  // variant 10
  char buf[37];
  snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
           static_cast<unsigned>((hi >> 16) & 0xFFFF), static_cast<unsigned>(hi & 0xFFFF),
           static_cast<unsigned>(lo >> 48), static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFULL));
  return buf;
}

std::string checkUuid(const std::string& id) {
  static const std::regex kUuid("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
  return std::regex_match(id, kUuid) ? "" : "expected a valid UUID";
}

std::string checkName(const std::string& name) {
  if (name.empty()) return "must not be empty";
  for (unsigned char c : name) {
    if (c >= 0x80 || std::isalnum(c) || c == '.' || c == '-' || c == '_' || c == '~') continue;
    return "invalid value '" + name +
           "': the only accepted ascii characters are alphanumerics or ., -, _, and ~";
  }
  return "";
}

namespace {

bool isIpv4(const std::string& s) {
  in_addr a{};
  return inet_pton(AF_INET, s.c_str(), &a) == 1;
}

bool isIpv6(const std::string& s) {
  in6_addr a{};
  return inet_pton(AF_INET6, s.c_str(), &a) == 1;
}

bool validLabel(const std::string& label) {
  if (label.empty() || label.size() > 63) return false;
  if (label.front() == '-' || label.back() == '-') return false;
  return std::all_of(label.begin(), label.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_';
  });
}

std::vector<std::string> splitLabels(const std::string& host) {
  std::vector<std::string> labels;
  size_t start = 0;
  while (true) {
    size_t dot = host.find('.', start);
    labels.push_back(host.substr(start, dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return labels;
}

bool parsePort(std::string_view s, uint16_t& out, bool allowZero) {
  unsigned v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size() || v < (allowZero ? 0u : 1u) || v > 65535) return false;
  out = static_cast<uint16_t>(v);
  return true;
}

} // namespace

std::string checkHost(const std::string& host) {
  if (host.empty()) return "must not be empty";
  if (host.find(':') != std::string::npos) return isIpv6(host) ? "" : "invalid host '" + host + "'";
  if (isIpv4(host)) return "";
  if (host.size() > 253) return "invalid host '" + host + "'";
  for (const auto& label : splitLabels(host))
    if (!validLabel(label)) return "invalid host '" + host + "'";
  return "";
}

std::string checkRouteHost(const std::string& host) {
  std::string err;
  HostPort hp = parseHostPort(host, err);
  if (!err.empty()) return "invalid host '" + host + "'";
  if (hp.host.find('*') == std::string::npos) return checkHost(hp.host);
  auto labels = splitLabels(hp.host);
  size_t stars = std::count(hp.host.begin(), hp.host.end(), '*');
  bool leftmost = labels.front() == "*", rightmost = labels.back() == "*";
  if (stars != 1 || labels.size() < 2 || !(leftmost || rightmost))
    return "invalid wildcard '" + host + "': the wildcard must be the leftmost or rightmost label";
  for (size_t i = 0; i < labels.size(); ++i) {
    if ((i == 0 && leftmost) || (i + 1 == labels.size() && rightmost)) continue;
    if (!validLabel(labels[i])) return "invalid host '" + host + "'";
  }
  return "";
}

std::string checkMethod(const std::string& method) {
  if (!method.empty() && std::all_of(method.begin(), method.end(), [](char c) { return c >= 'A' && c <= 'Z'; }))
    return "";
  return "invalid method '" + method + "': must be upper-case letters (e.g. GET)";
}

std::string checkTag(const std::string& tag) {
  if (tag.empty()) return "must not be empty";
  for (unsigned char c : tag)
    if (c < 0x80 && (c < 0x21 || c > 0x7e || c == ',' || c == '/'))
      return "invalid tag '" + tag + "': use printable characters other than ',' and '/'";
  return "";
}

std::string regexForStdRegex(const std::string& pattern) {
  // "(?<name>" and "(?P<name>" -> "(" ; lookbehinds "(?<=" / "(?<!" are left alone (and then fail
  // to compile, since ECMAScript std::regex has none).
  static const std::regex kNamed(R"(\(\?P?<([A-Za-z_][A-Za-z0-9_]*)>)");
  std::string out;
  std::sregex_iterator it(pattern.begin(), pattern.end(), kNamed), end;
  size_t last = 0;
  for (; it != end; ++it) {
    size_t pos = static_cast<size_t>(it->position());
    // Skip matches whose "(" is escaped ("\(?<x>" is a literal parenthesis).
    size_t backslashes = 0;
    while (pos > backslashes && pattern[pos - 1 - backslashes] == '\\') ++backslashes;
    out += pattern.substr(last, pos - last);
    out += (backslashes % 2 == 1) ? it->str() : "(";
    last = pos + static_cast<size_t>(it->length());
  }
  out += pattern.substr(last);
  return out;
}

std::string checkRoutePath(const std::string& path) {
  if (path.empty() || (path[0] != '/' && path[0] != '~')) return "must start with \"/\"";
  if (path[0] == '~') {
    if (path.size() == 1) return "regex must not be empty";
    try {
      std::regex re(regexForStdRegex(path.substr(1)), std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      return std::string("invalid regex '") + path.substr(1) + "': " + e.what();
    }
    return "";
  }
  for (size_t i = 0; i < path.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(path[i]);
    if (c <= 0x20 || c == 0x7f) return "invalid path '" + path + "': must not contain spaces or control characters";
    if (c == '%') {
      if (i + 2 >= path.size() || !std::isxdigit(static_cast<unsigned char>(path[i + 1])) ||
          !std::isxdigit(static_cast<unsigned char>(path[i + 2])))
        return "invalid path '" + path + "': bad percent-encoding";
    }
  }
  return "";
}

std::string migrateLegacyPath(const std::string& path) {
  static const std::regex kPlain(R"([A-Za-z0-9.\-_~/%]*)");
  if (path.empty() || path[0] == '~' || std::regex_match(path, kPlain)) return path;
  return "~" + path;
}

HostPort parseHostPort(const std::string& text, std::string& error, bool allowPortZero) {
  HostPort out;
  std::string portText;
  bool hasPort = false;
  if (!text.empty() && text[0] == '[') {
    size_t close = text.find(']');
    if (close == std::string::npos) { error = "missing ']'"; return out; }
    out.host = text.substr(1, close - 1);
    if (!isIpv6(out.host)) { error = "invalid IPv6 address '" + out.host + "'"; return out; }
    std::string rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') { error = "unexpected text after ']'"; return out; }
      hasPort = true;
      portText = rest.substr(1);
    }
  } else {
    size_t colons = std::count(text.begin(), text.end(), ':');
    if (colons > 1) {
      out.host = text;  // a bare IPv6 address
      if (!isIpv6(text)) error = "invalid host '" + text + "'";
      return out;
    }
    size_t colon = text.find(':');
    out.host = text.substr(0, colon);
    if (colon != std::string::npos) {
      hasPort = true;
      portText = text.substr(colon + 1);
    }
  }
  if (out.host.empty()) { error = "missing host"; return out; }
  if (hasPort) {
    uint16_t port = 0;
    if (!parsePort(portText, port, allowPortZero)) {
      error = "invalid port '" + portText + "' (expected " + (allowPortZero ? "0" : "1") + "-65535)";
      return out;
    }
    out.port = port;
  }
  return out;
}

} // namespace gateway::config::detail
