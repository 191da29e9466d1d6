#include "http1/syntax.h"

#include "gateway/http/header_map.h"

namespace gateway::http1::syntax {

namespace {

// 256-entry table: true for tchar.
struct TokenTable {
  bool t[256]{};
  constexpr TokenTable() {
    for (int c = '0'; c <= '9'; ++c) {
      t[c] = true;
    }
    for (int c = 'a'; c <= 'z'; ++c) {
      t[c] = true;
      t[c - 32] = true;
    }
    for (char c : std::string_view("!#$%&'*+-.^_`|~")) {
      t[static_cast<unsigned char>(c)] = true;
    }
  }
};
constexpr TokenTable kToken;

bool startsWithNoCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && http::iequals(s.substr(0, prefix.size()), prefix);
}

} // namespace

bool isTokenChar(unsigned char c) { return kToken.t[c]; }

std::string_view trimOws(std::string_view s) {
  while (!s.empty() && isOws(s.front())) {
    s.remove_prefix(1);
  }
  while (!s.empty() && isOws(s.back())) {
    s.remove_suffix(1);
  }
  return s;
}

std::optional<uint64_t> parseContentLength(std::string_view value) {
  if (value.empty() || value.size() > 19) {
    return std::nullopt;  // 19 digits always fit in uint64_t.
  }
  uint64_t n = 0;
  for (char c : value) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  return n;
}

TransferEncodingState::Error TransferEncodingState::add(std::string_view value) {
  while (true) {
    size_t comma = value.find(',');
    std::string_view element = trimOws(value.substr(0, comma));
    if (!element.empty()) {
      // A coding may carry parameters ("gzip;q=1"); its name is the token before ';'.
      std::string_view name = trimOws(element.substr(0, element.find(';')));
      if (name.empty()) {
        return Error::BadCoding;
      }
      for (char c : name) {
        if (!isTokenChar(static_cast<unsigned char>(c))) {
          return Error::BadCoding;
        }
      }
      if (http::iequals(name, "chunked")) {
        if (chunked_) {
          return Error::ChunkedTwice;
        }
        if (name.size() != element.size()) {
          return Error::BadCoding;  // chunked takes no parameters.
        }
        chunked_ = true;
      } else {
        if (chunked_) {
          return Error::ChunkedNotFinal;
        }
        other_ = true;
      }
    }
    if (comma == std::string_view::npos) {
      return Error::None;
    }
    value.remove_prefix(comma + 1);
  }
}

const char* splitTarget(std::string_view raw, Target& out) {
  out = Target{};
  if (raw.empty()) {
    return "empty request target";
  }
  if (raw.find('#') != std::string_view::npos) {
    return "fragment ('#') in request target";
  }
  std::string_view pathAndQuery = raw;
  if (raw == "*") {
    out.asterisk = true;
    out.path = raw;
    return nullptr;
  }
  if (raw.front() != '/') {
    // absolute-form: http(s)://authority[/path][?query]
    size_t schemeLen = 0;
    if (startsWithNoCase(raw, "http://")) {
      schemeLen = 7;
    } else if (startsWithNoCase(raw, "https://")) {
      schemeLen = 8;
    } else {
      return "request target is neither origin-form nor absolute-form";
    }
    std::string_view rest = raw.substr(schemeLen);
    size_t end = rest.find_first_of("/?");
    out.authority = rest.substr(0, end);
    if (out.authority.empty()) {
      return "absolute-form target without a host";
    }
    if (out.authority.find('@') != std::string_view::npos) {
      return "userinfo in absolute-form target";
    }
    pathAndQuery = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  }
  size_t q = pathAndQuery.find('?');
  if (q == std::string_view::npos) {
    out.path = pathAndQuery;
  } else {
    out.path = pathAndQuery.substr(0, q);
    out.query = pathAndQuery.substr(q + 1);
    out.hasQuery = true;
  }
  if (out.path.empty()) {
    out.path = "/";  // absolute-form with no path ("http://h" or "http://h?q").
  }
  return nullptr;
}

} // namespace gateway::http1::syntax
