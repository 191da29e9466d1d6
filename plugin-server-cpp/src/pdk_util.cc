#include "pdk_util.h"

#include <cctype>

#include "call_state.h"

namespace gantry_pdk::detail {

std::optional<std::string_view> findHeader(const Headers& headers, std::string_view name) {
  for (const Header& h : headers) {
    if (headerNameEquals(h.name, name)) {
      return std::string_view(h.value);
    }
  }
  return std::nullopt;
}

HeaderMap groupHeaders(const Headers& headers) {
  HeaderMap out;
  for (const Header& h : headers) {
    std::string key = h.name;
    for (char& c : key) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    out[key].push_back(h.value);
  }
  return out;
}

std::string percentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::string percentEncode(std::string_view s) {
  static const char* digits = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(digits[c >> 4]);
      out.push_back(digits[c & 15]);
    }
  }
  return out;
}

HeaderMap parseQuery(std::string_view rawQuery) {
  HeaderMap out;
  while (!rawQuery.empty()) {
    size_t amp = rawQuery.find('&');
    std::string_view pair = rawQuery.substr(0, amp);
    rawQuery = amp == std::string_view::npos ? std::string_view() : rawQuery.substr(amp + 1);
    if (pair.empty()) {
      continue;
    }
    size_t eq = pair.find('=');
    std::string key = percentDecode(pair.substr(0, eq));
    out[key].push_back(eq == std::string_view::npos ? std::string()
                                                    : percentDecode(pair.substr(eq + 1)));
  }
  return out;
}

std::string encodeQuery(const HeaderMap& args) {
  std::string out;
  for (const auto& [key, values] : args) {
    for (const std::string& value : values) {
      out += (out.empty() ? "" : "&") + percentEncode(key) + "=" + percentEncode(value);
    }
  }
  return out;
}

}  // namespace gantry_pdk::detail
