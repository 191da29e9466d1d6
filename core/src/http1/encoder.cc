// Serialization of HTTP/1.x heads and chunks (codec.h), plus the header validity checks the
// proxy applies to anything it forwards (names and values from plugins are untrusted).

#include <charconv>

#include "gateway/http1/codec.h"
#include "http1/syntax.h"

namespace gateway::http1 {

namespace {

void appendHeaders(const http::HeaderMap& headers, std::string& out) {
  for (const auto& f : headers) {
    out.append(f.name).append(": ", 2).append(f.value).append("\r\n", 2);
  }
  out.append("\r\n", 2);
}

void appendInt(int v, std::string& out) {
  char buf[16];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, r.ptr);
}

} // namespace

void encodeRequestHead(const http::RequestHead& head, std::string& out) {
  out.reserve(out.size() + head.method.size() + head.path.size() + head.rawQuery.size() +
              head.headers.byteSize() + 16);
  out.append(head.method).push_back(' ');
  if (head.path.empty()) {
    out.push_back('/');
  } else {
    out.append(head.path);
  }
  if (head.hasQuery) {
    out.push_back('?');
    out.append(head.rawQuery);
  }
  out.append(" HTTP/1.1\r\n", 11);
  appendHeaders(head.headers, out);
}

void encodeResponseHead(const http::ResponseHead& head, std::string& out) {
  const char* reason = head.reason.empty() ? http::reasonPhrase(head.status) : nullptr;
  out.reserve(out.size() + head.headers.byteSize() + head.reason.size() + 40);
  out.append("HTTP/", 5);
  appendInt(head.versionMajor, out);
  out.push_back('.');
  appendInt(head.versionMinor, out);
  out.push_back(' ');
  appendInt(head.status, out);
  out.push_back(' ');
  if (reason != nullptr) {
    out.append(reason);
  } else {
    out.append(head.reason);
  }
  out.append("\r\n", 2);
  appendHeaders(head.headers, out);
}

void encodeChunk(std::string_view data, std::string& out) {
  if (data.empty()) {
    return;  // A zero-size chunk would end the body.
  }
  char buf[20];
  auto r = std::to_chars(buf, buf + sizeof(buf), static_cast<unsigned long long>(data.size()), 16);
  out.reserve(out.size() + static_cast<size_t>(r.ptr - buf) + data.size() + 4);
  out.append(buf, r.ptr).append("\r\n", 2).append(data).append("\r\n", 2);
}

void encodeLastChunk(std::string& out) { out.append("0\r\n\r\n", 5); }

bool isValidHeaderName(std::string_view name) {
  if (name.empty()) {
    return false;
  }
  for (char c : name) {
    if (!syntax::isTokenChar(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

bool isValidHeaderValue(std::string_view value) {
  for (char c : value) {
    if (syntax::isForbiddenValueChar(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

} // namespace gateway::http1
