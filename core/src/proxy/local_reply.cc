#include "proxy/local_reply.h"

namespace gateway::proxy {

std::string defaultMessage(int status) {
  switch (status) {
  case 400: return "Bad request";
  case 404: return "Not found";
  case 405: return "Method not allowed";
  case 408: return "Request timeout";
  case 411: return "Length required";
  case 412: return "Precondition failed";
  case 413: return "Payload too large";
  case 414: return "URI too long";
  case 417: return "Expectation failed";
  case 431: return "Request header or cookie too large";
  case 500: return std::string(messages::kUnexpected);
  case 502: return std::string(messages::kBadUpstreamResponse);
  case 503: return "The upstream server is currently unavailable";
  case 504: return std::string(messages::kUpstreamTimeout);
  default: return "The upstream server responded with " + std::to_string(status);
  }
}

void appendJsonEscaped(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    switch (c) {
    case '"': out += "\\\""; break;
    case '\\': out += "\\\\"; break;
    case '\n': out += "\\n"; break;
    case '\r': out += "\\r"; break;
    case '\t': out += "\\t"; break;
    default:
      if (u < 0x20) {
        out += "\\u00";
        out += kHex[u >> 4];
        out += kHex[u & 0xf];
      } else {
        out += c;
      }
    }
  }
}

LocalReply makeJsonReply(int status, std::string_view message) {
  LocalReply reply;
  reply.status = status;
  reply.hasBody = true;
  reply.body.reserve(message.size() + 16);
  reply.body += "{\"message\":\"";
  appendJsonEscaped(reply.body, message);
  reply.body += "\"}";
  reply.headers.add("Content-Type", std::string(kJsonContentType));
  return reply;
}

LocalReply makeDefaultReply(int status) { return makeJsonReply(status, defaultMessage(status)); }

} // namespace gateway::proxy
