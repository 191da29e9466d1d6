#pragma once

// Value checks shared by the entity parsers. Each returns an empty string when the value is valid,
// otherwise the error message (without the path). None of them throws.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gateway::config::detail {

// A random UUID v4 string, e.g. "3f1c0e9a-5b7d-4c2e-9f10-0a1b2c3d4e5f".
std::string generateUuid();
// A UUID derived from `key` (same key, same UUID): ids of entities declared without one stay the
// same across reloads, so their plugin instances are not re-created by every reload.
std::string stableUuid(std::string_view key);
std::string checkUuid(const std::string& id);
// Kong's utf8_name: ASCII letters, digits, ".", "-", "_", "~" and any non-ASCII byte.
std::string checkName(const std::string& name);
// A hostname (labels of letters, digits, "-", "_"), an IPv4 address or an IPv6 address (no brackets).
std::string checkHost(const std::string& host);
// A route host: a hostname with at most one "*" as the whole leftmost or rightmost label, and an
// optional ":port".
std::string checkRouteHost(const std::string& host);
// An HTTP method: upper-case letters.
std::string checkMethod(const std::string& method);
// A tag: printable ASCII except "," and "/", or non-ASCII.
std::string checkTag(const std::string& tag);
// A route path: "/..." (prefix) or "~..." (regex that compiles with std::regex ECMAScript once
// named groups `(?<name>` / `(?P<name>` are turned into plain groups).
std::string checkRoutePath(const std::string& path);
// Kong's migration of pre-3.0 paths: a path with characters outside [A-Za-z0-9.-_~/%] was a regex.
std::string migrateLegacyPath(const std::string& path);
// The regex text of a "~" path with named groups made plain (what the router compiles).
std::string regexForStdRegex(const std::string& pattern);

struct HostPort {
  std::string host;             // IPv6 without brackets.
  std::optional<uint16_t> port; // Absent when the text had none.
};
// "host", "host:port", "[v6]", "[v6]:port" or a bare IPv6 address. Sets `error` when invalid.
// `allowPortZero` accepts port 0 (listen addresses: the kernel picks a free port).
HostPort parseHostPort(const std::string& text, std::string& error, bool allowPortZero = false);

} // namespace gateway::config::detail
