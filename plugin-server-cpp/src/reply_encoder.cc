#include "reply_encoder.h"

#include <google/protobuf/stubs/common.h>

#include <atomic>
#include <iostream>

#include "wire_writer.h"

namespace gantry_pdk::detail {
namespace {

using W = WireWriter;

// Length of the valid UTF-8 sequence at s[i] (shortest form, no surrogates, at most U+10FFFF),
// or 0 if the byte there does not start one.
size_t validSequence(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) {
    return 1;
  }
  size_t n = 0;
  unsigned char lo = 0x80, hi = 0xbf;  // The range of the second byte.
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    lo = c == 0xe0 ? 0xa0 : 0x80;
    hi = c == 0xed ? 0x9f : 0xbf;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    lo = c == 0xf0 ? 0x90 : 0x80;
    hi = c == 0xf4 ? 0x8f : 0xbf;
  } else {
    return 0;
  }
  if (i + n > s.size()) {
    return 0;
  }
  const auto second = static_cast<unsigned char>(s[i + 1]);
  if (second < lo || second > hi) {
    return 0;
  }
  for (size_t k = 2; k < n; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) {
      return 0;
    }
  }
  return n;
}

void warnRepairedOnce() {
  static std::atomic<bool> warned{false};
  if (!warned.exchange(true)) {
    std::cerr << "gantry_pdk: a plugin set a string (header, path, log line, ...) that is not valid "
                 "UTF-8; invalid bytes were replaced with U+FFFD (protobuf strings must be "
                 "UTF-8). Logged once.\n";
  }
}

// A `string` field: repaired if it is not valid UTF-8.
void stringField(W& w, uint32_t field, std::string_view v, bool always = false) {
  if (google::protobuf::internal::IsStructurallyValidUTF8(v.data(), static_cast<int>(v.size()))) {
    w.bytesField(field, v, always);
    return;
  }
  warnRepairedOnce();
  w.bytesField(field, repairUtf8(v), always);
}

void header(W& w, uint32_t field, const Header& h) {
  const size_t m = w.begin(field);
  stringField(w, 1, h.name);
  stringField(w, 2, h.value);
  w.end(m);
}

void headerMutation(W& w, uint32_t field, HeaderAction action, const std::string& name,
                    const std::string& value) {
  const size_t m = w.begin(field);
  w.uint64Field(1, static_cast<uint64_t>(action));
  stringField(w, 2, name);
  stringField(w, 3, value);
  w.end(m);
}

void consumer(W& w, uint32_t field, const Consumer& c) {
  const size_t m = w.begin(field);
  stringField(w, 1, c.id);
  stringField(w, 2, c.username);
  stringField(w, 3, c.customId);
  for (const std::string& tag : c.tags) {
    stringField(w, 4, tag, /*always=*/true);
  }
  w.end(m);
}

void credential(W& w, uint32_t field, const Credential& c) {
  const size_t m = w.begin(field);
  stringField(w, 1, c.id);
  stringField(w, 2, c.consumerId);
  w.end(m);
}

// The op of a Mutation (a oneof: written even when it holds the default).
void op(W& w, const MutationOp& op) {
  constexpr bool kAlways = true;
  std::visit(
      [&](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, mutation::RequestHeader>) {
          headerMutation(w, 2, m.action, m.name, m.value);
        } else if constexpr (std::is_same_v<T, mutation::RequestPath>) {
          stringField(w, 3, m.path, kAlways);
        } else if constexpr (std::is_same_v<T, mutation::RequestRawQuery>) {
          stringField(w, 4, m.query, kAlways);
        } else if constexpr (std::is_same_v<T, mutation::RequestMethod>) {
          stringField(w, 5, m.method, kAlways);
        } else if constexpr (std::is_same_v<T, mutation::RequestScheme>) {
          stringField(w, 6, m.scheme, kAlways);
        } else if constexpr (std::is_same_v<T, mutation::RequestBody>) {
          w.bytesField(7, m.body, kAlways);
        } else if constexpr (std::is_same_v<T, mutation::Target>) {
          const size_t t = w.begin(8);
          stringField(w, 1, m.host);
          w.uint64Field(2, m.port);
          w.end(t);
        } else if constexpr (std::is_same_v<T, mutation::Upstream>) {
          stringField(w, 9, m.name, kAlways);
        } else if constexpr (std::is_same_v<T, mutation::ResponseHeader>) {
          headerMutation(w, 10, m.action, m.name, m.value);
        } else if constexpr (std::is_same_v<T, mutation::ResponseStatus>) {
          w.int32Field(11, m.status, kAlways);
        } else if constexpr (std::is_same_v<T, mutation::ResponseBody>) {
          w.bytesField(12, m.body, kAlways);
        } else if constexpr (std::is_same_v<T, mutation::SharedSet>) {
          const size_t s = w.begin(13);
          stringField(w, 1, m.key);
          stringField(w, 2, m.jsonValue);
          w.end(s);
        } else if constexpr (std::is_same_v<T, mutation::Exit>) {
          const size_t e = w.begin(14);
          w.int32Field(1, m.status);
          if (m.body) {
            w.bytesField(2, *m.body);
          }
          w.uint64Field(3, m.body.has_value());
          for (const Header& h : m.headers) {
            header(w, 4, h);
          }
          w.end(e);
        } else if constexpr (std::is_same_v<T, mutation::Log>) {
          const size_t l = w.begin(15);
          w.uint64Field(1, static_cast<uint64_t>(m.level));
          stringField(w, 2, m.message);
          w.end(l);
        } else if constexpr (std::is_same_v<T, mutation::Authenticate>) {
          const size_t a = w.begin(16);
          if (m.consumer) {
            consumer(w, 1, *m.consumer);
          }
          if (m.credential) {
            credential(w, 2, *m.credential);
          }
          w.end(a);
        }
      },
      op);
}

// Reply {request_id = 1, seq = 2, ...}: opens the Reply and writes the ids.
size_t beginReply(W& w, uint64_t requestId, uint32_t seq) {
  const size_t reply = w.begin(1);  // ReplyBatch.replies
  w.uint64Field(1, requestId);
  w.uint64Field(2, seq);
  return reply;
}

}  // namespace

void appendResultReply(uint64_t requestId, uint32_t seq, const PhaseOutput& output,
                       std::string& out) {
  W w(out);
  const size_t reply = beginReply(w, requestId, seq);
  const size_t result = w.begin(3);
  for (const Mutation& mutation : output.mutations) {
    const size_t m = w.begin(1);
    w.uint64Field(1, mutation.instanceId);
    op(w, mutation.op);
    w.end(m);
  }
  w.uint64Field(2, output.completed);
  if (output.error) {
    const size_t e = w.begin(3);
    w.uint64Field(1, static_cast<uint64_t>(output.error->kind));
    w.uint64Field(2, output.error->instanceId);
    stringField(w, 3, output.error->message);
    w.end(e);
  }
  w.end(result);
  w.end(reply);
}

void appendFetchReply(uint64_t requestId, uint32_t seq, const FetchRequest& request,
                      uint32_t fetchId, std::string& out) {
  W w(out);
  const size_t reply = beginReply(w, requestId, seq);
  const size_t fetch = w.begin(4);
  w.uint64Field(1, fetchId);
  std::visit(
      [&](const auto& f) {
        using T = std::decay_t<decltype(f)>;
        if constexpr (std::is_same_v<T, fetch::RequestBody>) {
          w.end(w.begin(2));  // Empty.
        } else if constexpr (std::is_same_v<T, fetch::Route>) {
          w.end(w.begin(3));
        } else if constexpr (std::is_same_v<T, fetch::Service>) {
          w.end(w.begin(4));
        } else if constexpr (std::is_same_v<T, fetch::Consumer>) {
          const size_t c = w.begin(5);
          stringField(w, 1, f.idOrUsername);
          w.uint64Field(2, f.byUsername);
          w.end(c);
        } else if constexpr (std::is_same_v<T, fetch::UriCaptures>) {
          w.end(w.begin(6));
        } else if constexpr (std::is_same_v<T, fetch::Credential>) {
          const size_t c = w.begin(7);
          stringField(w, 1, f.kind);
          stringField(w, 2, f.field);
          stringField(w, 3, f.value);
          w.end(c);
        } else if constexpr (std::is_same_v<T, fetch::NodeId>) {
          w.end(w.begin(8));
        } else if constexpr (std::is_same_v<T, fetch::IsTrustedIp>) {
          stringField(w, 9, f.address, /*always=*/true);
        }
      },
      request);
  w.end(fetch);
  w.end(reply);
}

std::string repairUtf8(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  bool inBadRun = false;
  for (size_t i = 0; i < s.size();) {
    const size_t n = validSequence(s, i);
    if (n == 0) {
      if (!inBadRun) {
        out.append("\xef\xbf\xbd");
      }
      inBadRun = true;
      ++i;
      continue;
    }
    inBadRun = false;
    out.append(s.substr(i, n));
    i += n;
  }
  return out;
}

}  // namespace gantry_pdk::detail
