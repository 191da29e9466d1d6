#include "event_decoder.h"

#include <google/protobuf/stubs/common.h>

#include "convert.h"
#include "wire_reader.h"

namespace gantry_pdk::detail {
namespace {

using W = WireReader;

// Protobuf's own check for proto3 string fields, so exactly what its parser rejects is rejected.
bool utf8(std::string_view s) {
  return google::protobuf::internal::IsStructurallyValidUTF8(s.data(), static_cast<int>(s.size()));
}

// Reads a string field into `out`; false if malformed or not UTF-8.
bool readString(W& r, std::string& out) {
  std::string_view v;
  if (!r.bytes(v) || !utf8(v)) {
    return false;
  }
  out.assign(v);
  return true;
}

// Reads a bytes field (no UTF-8 rule) into `out`.
bool readBytes(W& r, std::string& out) {
  std::string_view v;
  if (!r.bytes(v)) {
    return false;
  }
  out.assign(v);
  return true;
}

// Reads a varint field into an integer, enum or bool (truncated or != 0, as protobuf does).
template <class T> bool readVarint(W& r, T& out) {
  uint64_t v = 0;
  if (!r.varint(v)) {
    return false;
  }
  if constexpr (std::is_same_v<T, bool>) {
    out = v != 0;
  } else {
    out = static_cast<T>(v);
  }
  return true;
}

// Calls onField(reader, field number, wire type) for each field of the message in `bytes`;
// onField reads (or skips) the value. False when the input or a read is malformed.
template <class OnField> bool forEachField(std::string_view bytes, OnField&& onField) {
  W r(bytes);
  while (!r.done()) {
    uint32_t field = 0;
    int type = 0;
    if (!r.tag(field, type) || !onField(r, field, type)) {
      return false;
    }
  }
  return true;
}

// A field expected as a string, bytes or message (length-delimited) or a varint; with another
// wire type it is an unknown field to protobuf, skipped.
bool lengthDelimited(int type) { return type == W::kLengthDelimited; }
bool varint(int type) { return type == W::kVarint; }

// A message of two strings, fields 1 and 2: Header {name, value}, a map<string, string> entry.
bool readStringPair(W& r, std::string& first, std::string& second) {
  std::string_view bytes;
  return r.bytes(bytes) && forEachField(bytes, [&](W& f, uint32_t field, int type) {
           if (field == 1 && lengthDelimited(type)) {
             return readString(f, first);
           }
           if (field == 2 && lengthDelimited(type)) {
             return readString(f, second);
           }
           return f.skip(type);
         });
}

// Header, appended to `out`.
bool readHeader(W& r, Headers& out) {
  Header& h = out.emplace_back();
  return readStringPair(r, h.name, h.value);
}

bool decodeRequest(std::string_view bytes, RequestSnapshot& q, std::string& body, bool& hasBody) {
  return forEachField(bytes, [&](W& r, uint32_t field, int type) {
    const bool ld = lengthDelimited(type);
    const bool vi = varint(type);
    switch (field) {
    case 1: return ld ? readString(r, q.method) : r.skip(type);
    case 2: return ld ? readString(r, q.scheme) : r.skip(type);
    case 3: return ld ? readString(r, q.host) : r.skip(type);
    case 4: return vi ? readVarint(r, q.port) : r.skip(type);
    case 5: return ld ? readString(r, q.path) : r.skip(type);
    case 6: return ld ? readString(r, q.rawQuery) : r.skip(type);
    case 7: return ld ? readHeader(r, q.headers) : r.skip(type);
    case 8: return ld ? readString(r, q.clientIp) : r.skip(type);
    case 9: return vi ? readVarint(r, q.clientPort) : r.skip(type);
    case 10: return ld ? readString(r, q.httpVersion) : r.skip(type);
    case 11: return ld ? readBytes(r, body) : r.skip(type);
    case 12: return vi ? readVarint(r, hasBody) : r.skip(type);
    case 13: return vi ? readVarint(r, q.startTimeMs) : r.skip(type);
    case 14: return ld ? readString(r, q.requestId) : r.skip(type);
    case 15: return ld ? readString(r, q.forwardedScheme) : r.skip(type);
    case 16: return ld ? readString(r, q.forwardedHost) : r.skip(type);
    default: return r.skip(type);
    }
  });
}

bool decodeResponse(std::string_view bytes, ResponseSnapshot& s, std::string& body, bool& hasBody) {
  return forEachField(bytes, [&](W& r, uint32_t field, int type) {
    const bool ld = lengthDelimited(type);
    const bool vi = varint(type);
    switch (field) {
    case 1: return vi ? readVarint(r, s.status) : r.skip(type);
    case 2: return ld ? readHeader(r, s.headers) : r.skip(type);
    case 3: return vi ? readVarint(r, s.serviceStatus) : r.skip(type);
    case 4: return ld ? readHeader(r, s.serviceHeaders) : r.skip(type);
    case 5: return ld ? readBytes(r, body) : r.skip(type);
    case 6: return vi ? readVarint(r, hasBody) : r.skip(type);
    case 7: return ld ? readString(r, s.source) : r.skip(type);
    default: return r.skip(type);
    }
  });
}

// A map<string, string> entry; a later entry with the same key wins.
bool readSharedEntry(W& r, std::map<std::string, std::string>& out) {
  std::string key, value;
  if (!readStringPair(r, key, value)) {
    return false;
  }
  out.insert_or_assign(std::move(key), std::move(value));
  return true;
}

// repeated uint64, packed or not.
bool readInstanceIds(W& r, int type, std::vector<uint64_t>& ids) {
  uint64_t v = 0;
  if (varint(type)) {
    if (!r.varint(v)) {
      return false;
    }
    ids.push_back(v);
    return true;
  }
  std::string_view packed;
  if (!lengthDelimited(type)) {
    return r.skip(type);
  }
  if (!r.bytes(packed)) {
    return false;
  }
  W p(packed);
  while (!p.done()) {
    if (!p.varint(v)) {
      return false;
    }
    ids.push_back(v);
  }
  return true;
}

// Merges the message field at `r` into `message` (protobuf's semantics for a repeated field).
bool merge(google::protobuf::MessageLite& message, W& r) {
  std::string_view v;
  return r.bytes(v) && message.MergeFromString(std::string(v));
}

pb::PhaseCall& rareCall(std::optional<pb::PhaseCall>& rare) {
  if (!rare) {
    rare.emplace();
  }
  return *rare;
}

// PhaseCall, as fromProto(const pb::PhaseCall&) converts it.
bool decodePhaseCall(std::string_view bytes, PhaseCallInput& call) {
  PhaseInput& in = call.input;
  in.phase = static_cast<Phase>(0);
  RequestSnapshot& q = in.request;
  q.method.clear();  // The proto's defaults are empty, not the struct's.
  q.scheme.clear();
  q.path.clear();
  q.httpVersion.clear();
  std::string requestBody, responseBody;
  bool requestHasBody = false, responseHasBody = false;
  ResponseSnapshot response;
  bool hasResponse = false;
  std::optional<pb::PhaseCall> rare;  // consumer, credential, log: rare, converted by convert.cc.
  const bool ok = forEachField(bytes, [&](W& r, uint32_t field, int type) {
    const bool ld = lengthDelimited(type);
    std::string_view v;
    switch (field) {
    case 1: return varint(type) ? readVarint(r, in.phase) : r.skip(type);
    case 2: return readInstanceIds(r, type, call.instanceIds);
    case 3: return ld ? r.bytes(v) && decodeRequest(v, q, requestBody, requestHasBody) : r.skip(type);
    case 4:
      hasResponse = hasResponse || ld;
      return ld ? r.bytes(v) && decodeResponse(v, response, responseBody, responseHasBody)
                : r.skip(type);
    case 5: return ld ? readSharedEntry(r, in.shared) : r.skip(type);
    case 6: return ld ? readString(r, in.routeId) : r.skip(type);
    case 7: return ld ? readString(r, in.serviceId) : r.skip(type);
    case 8: return ld ? merge(*rareCall(rare).mutable_consumer(), r) : r.skip(type);
    case 9: return ld ? merge(*rareCall(rare).mutable_credential(), r) : r.skip(type);
    case 10: return ld ? merge(*rareCall(rare).mutable_log(), r) : r.skip(type);
    default: return r.skip(type);
    }
  });
  if (!ok) {
    return false;
  }
  if (requestHasBody) {
    q.body = std::move(requestBody);
  }
  if (hasResponse) {
    if (responseHasBody) {
      response.body = std::move(responseBody);
    }
    in.response = std::move(response);
  }
  if (rare) {
    rareFromProto(*rare, in);
  }
  return true;
}

// Parses the parts of a message field into `message` (rare events: the generated parser).
template <class Message> bool parseParts(const std::vector<std::string_view>& parts, Message& message) {
  for (std::string_view v : parts) {
    if (!message.MergeFromString(std::string(v))) {
      return false;
    }
  }
  return true;
}

bool decodeEvent(std::string_view bytes, DecodedEvent& e, PhaseCallPool* pool) {
  // The oneof `kind`: the last member seen wins; the same member seen again merges.
  std::vector<std::string_view> kindBytes;
  uint32_t kindField = 0;
  const bool ok = forEachField(bytes, [&](W& r, uint32_t field, int type) {
    if (field == 1 && varint(type)) {
      return readVarint(r, e.requestId);
    }
    if (field == 2 && varint(type)) {
      return readVarint(r, e.seq);
    }
    std::string_view v;
    if (field < 3 || field > 5 || !lengthDelimited(type)) {
      return r.skip(type);
    }
    if (!r.bytes(v)) {
      return false;
    }
    if (field != kindField) {
      kindBytes.clear();
      kindField = field;
    }
    kindBytes.push_back(v);
    return true;
  });
  if (!ok) {
    return false;
  }
  switch (kindField) {
  case 3: {
    e.kind = DecodedEvent::Kind::PhaseCall;
    e.call = pool != nullptr ? pool->take() : std::make_unique<PhaseCallInput>();
    if (kindBytes.size() == 1) {
      return decodePhaseCall(kindBytes[0], *e.call);
    }
    std::string joined;  // Merging a message's parts = parsing their concatenation.
    for (std::string_view v : kindBytes) {
      joined.append(v);
    }
    return decodePhaseCall(joined, *e.call);
  }
  case 4: {
    pb::FetchResult result;
    if (!parseParts(kindBytes, result)) {
      return false;
    }
    e.kind = DecodedEvent::Kind::FetchResult;
    e.fetchId = result.fetch_id();
    e.answer = fromProto(result);
    return true;
  }
  case 5: {
    pb::Cancel cancel;  // Empty, but its bytes must parse.
    e.kind = DecodedEvent::Kind::Cancel;
    return parseParts(kindBytes, cancel);
  }
  default: return true;  // No kind: ignored by the session.
  }
}

}  // namespace

namespace {

// Resets every field of `in` to its proto default (what decodePhaseCall expects to fill), keeping
// the strings' buffers: the next call decoded into it allocates only for longer values. Must name
// every field of PhaseInput (a new field: add it here and in decodePhaseCall).
void clearKeepingCapacity(PhaseInput& in) {
  in.phase = static_cast<Phase>(0);
  RequestSnapshot& q = in.request;
  for (std::string* s : {&q.method, &q.scheme, &q.host, &q.path, &q.rawQuery, &q.clientIp,
                         &q.httpVersion, &q.requestId, &q.forwardedScheme, &q.forwardedHost}) {
    s->clear();
  }
  q.port = 0;
  q.clientPort = 0;
  q.startTimeMs = 0;
  q.headers.clear();
  q.body.reset();
  in.response.reset();
  in.shared.clear();
  in.routeId.clear();
  in.serviceId.clear();
  in.consumer.reset();
  in.credential.reset();
  in.log.reset();
}

}  // namespace

std::unique_ptr<PhaseCallInput> PhaseCallPool::take() {
  {
    std::lock_guard lock(mutex_);
    if (!free_.empty()) {
      std::unique_ptr<PhaseCallInput> call = std::move(free_.back());
      free_.pop_back();
      return call;
    }
  }
  return std::make_unique<PhaseCallInput>();
}

void PhaseCallPool::giveBack(std::unique_ptr<PhaseCallInput> call) {
  call->instanceIds.clear();
  clearKeepingCapacity(call->input);
  std::lock_guard lock(mutex_);
  if (free_.size() < kKeep) {
    free_.push_back(std::move(call));
  }
}

bool decodeEventBatch(std::string_view bytes, std::vector<DecodedEvent>& out,
                      PhaseCallPool* pool) {
  return forEachField(bytes, [&](W& r, uint32_t field, int type) {
    std::string_view v;
    if (field != 1 || !lengthDelimited(type)) {
      return r.skip(type);
    }
    return r.bytes(v) && decodeEvent(v, out.emplace_back(), pool);
  });
}

}  // namespace gantry_pdk::detail
