// The hand-written EventBatch decoder against protobuf's parser and fromProto (the reference):
// the same events and values, and the same batches rejected.
#include <catch2/catch.hpp>

#include <string>

#include "convert.h"
#include "event_decoder.h"

using namespace gantry_pdk;
namespace pb = detail::pb;
using detail::DecodedEvent;

namespace {

void checkSame(const RequestSnapshot& a, const RequestSnapshot& b) {
  CHECK(a.method == b.method);
  CHECK(a.scheme == b.scheme);
  CHECK(a.host == b.host);
  CHECK(a.port == b.port);
  CHECK(a.path == b.path);
  CHECK(a.rawQuery == b.rawQuery);
  CHECK(a.headers == b.headers);
  CHECK(a.clientIp == b.clientIp);
  CHECK(a.clientPort == b.clientPort);
  CHECK(a.httpVersion == b.httpVersion);
  CHECK(a.body == b.body);
  CHECK(a.startTimeMs == b.startTimeMs);
  CHECK(a.requestId == b.requestId);
  CHECK(a.forwardedScheme == b.forwardedScheme);
  CHECK(a.forwardedHost == b.forwardedHost);
}

void checkSame(const PhaseInput& a, const PhaseInput& b) {
  CHECK(a.phase == b.phase);
  checkSame(a.request, b.request);
  REQUIRE(a.response.has_value() == b.response.has_value());
  if (a.response) {
    CHECK(a.response->status == b.response->status);
    CHECK(a.response->headers == b.response->headers);
    CHECK(a.response->serviceStatus == b.response->serviceStatus);
    CHECK(a.response->serviceHeaders == b.response->serviceHeaders);
    CHECK(a.response->body == b.response->body);
    CHECK(a.response->source == b.response->source);
  }
  CHECK(a.shared == b.shared);
  CHECK(a.routeId == b.routeId);
  CHECK(a.serviceId == b.serviceId);
  CHECK(a.consumer == b.consumer);
  CHECK(a.credential == b.credential);
  REQUIRE(a.log.has_value() == b.log.has_value());
  if (a.log) {
    CHECK(a.log->requestLatencyMs == b.log->requestLatencyMs);
    CHECK(a.log->upstreamUri == b.log->upstreamUri);
    CHECK(a.log->clientAborted == b.log->clientAborted);
  }
}

// Decodes `bytes` both ways; they must agree. Returns whether the batch was accepted.
bool decodeLikeProtobuf(const std::string& bytes) {
  pb::EventBatch ref;
  const bool refOk = ref.ParseFromString(bytes);
  std::vector<DecodedEvent> got;
  const bool ok = detail::decodeEventBatch(bytes, got);
  REQUIRE(ok == refOk);
  if (!ok) {
    return false;
  }
  REQUIRE(got.size() == static_cast<size_t>(ref.events_size()));
  for (size_t i = 0; i < got.size(); ++i) {
    const pb::Event& e = ref.events(static_cast<int>(i));
    CHECK(got[i].requestId == e.request_id());
    CHECK(got[i].seq == e.seq());
    switch (e.kind_case()) {
    case pb::Event::kPhaseCall: {
      REQUIRE(got[i].kind == DecodedEvent::Kind::PhaseCall);
      const auto& ids = e.phase_call().instance_ids();
      CHECK(got[i].call->instanceIds == std::vector<uint64_t>(ids.begin(), ids.end()));
      checkSame(got[i].call->input, detail::fromProto(e.phase_call()));
      break;
    }
    case pb::Event::kFetchResult:
      REQUIRE(got[i].kind == DecodedEvent::Kind::FetchResult);
      CHECK(got[i].fetchId == e.fetch_result().fetch_id());
      CHECK(got[i].answer->index() == detail::fromProto(e.fetch_result()).index());
      break;
    case pb::Event::kCancel: CHECK(got[i].kind == DecodedEvent::Kind::Cancel); break;
    case pb::Event::KIND_NOT_SET: CHECK(got[i].kind == DecodedEvent::Kind::None); break;
    }
  }
  return true;
}

pb::Event fullCall() {
  pb::Event e;
  e.set_request_id(77);
  e.set_seq(3);
  pb::PhaseCall* c = e.mutable_phase_call();
  c->set_phase(pb::PHASE_LOG);
  c->add_instance_ids(1);
  c->add_instance_ids(uint64_t{1} << 40);
  pb::RequestSnapshot* r = c->mutable_request();
  r->set_method("POST");
  r->set_scheme("https");
  r->set_host("example.com");
  r->set_port(8443);
  r->set_path("/a/long/enough/path/to/leave/the/small/string/buffer");
  r->set_raw_query("a=1&b=2");
  for (const char* name : {"Host", "X-Dup", "x-dup"}) {
    pb::Header* h = r->add_headers();
    h->set_name(name);
    h->set_value(std::string("v\xc3\xa9 ") + name);  // UTF-8 é.
  }
  r->set_client_ip("10.0.0.1");
  r->set_client_port(5555);
  r->set_http_version("2");
  r->set_body(std::string("\xff\x00 binary", 9));  // bytes: no UTF-8 rule.
  r->set_has_body(true);
  r->set_start_time_ms(-5);
  r->set_request_id("0000000000000001");
  r->set_forwarded_scheme("https");
  r->set_forwarded_host("front");
  pb::ResponseSnapshot* s = c->mutable_response();
  s->set_status(503);
  s->add_headers()->set_name("a");
  s->set_service_status(502);
  s->add_service_headers()->set_value("b");
  s->set_body("upstream");
  s->set_has_body(true);
  s->set_source("service");
  (*c->mutable_shared())["k"] = "\"v\"";
  (*c->mutable_shared())["n"] = "1";
  c->set_route_id("route");
  c->set_service_id("service");
  c->mutable_consumer()->set_id("cid");
  c->mutable_consumer()->add_tags("t");
  c->mutable_credential()->set_id("cred");
  c->mutable_log()->set_upstream_uri("/u");
  c->mutable_log()->set_client_aborted(true);
  return e;
}

std::string varintField(uint32_t field, uint64_t v) {
  std::string out;
  for (uint64_t t = (uint64_t{field} << 3); ; t >>= 7) {
    if (t < 0x80) { out.push_back(static_cast<char>(t)); break; }
    out.push_back(static_cast<char>((t & 0x7f) | 0x80));
  }
  for (;; v >>= 7) {
    if (v < 0x80) { out.push_back(static_cast<char>(v)); break; }
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
  }
  return out;
}

std::string lengthField(uint32_t field, const std::string& bytes) {
  std::string out = varintField(field, bytes.size());
  out[0] = static_cast<char>(out[0] | 2);  // Wire type 2 (field < 16: one tag byte).
  return out + bytes;
}

}  // namespace

TEST_CASE("EventDecoder: a full PhaseCall, a fetch result, a cancel and an empty event",
          "[decoder]") {
  pb::EventBatch batch;
  *batch.add_events() = fullCall();
  pb::Event* fetch = batch.add_events();
  fetch->set_request_id(77);
  fetch->set_seq(3);
  fetch->mutable_fetch_result()->set_fetch_id(2);
  fetch->mutable_fetch_result()->mutable_consumer()->set_username("alice");
  pb::Event* cancel = batch.add_events();
  cancel->set_request_id(78);
  cancel->mutable_cancel();
  batch.add_events()->set_request_id(79);
  const std::string bytes = batch.SerializeAsString();
  CHECK(decodeLikeProtobuf(bytes));
  std::vector<DecodedEvent> got;
  REQUIRE(detail::decodeEventBatch(bytes, got));
  CHECK(std::get<entities::Consumer>(*got.at(1).answer).username == "alice");
}

TEST_CASE("EventDecoder: absent fields are proto defaults, not the struct's", "[decoder]") {
  pb::EventBatch batch;
  batch.add_events()->mutable_phase_call();
  std::vector<DecodedEvent> got;
  REQUIRE(detail::decodeEventBatch(batch.SerializeAsString(), got));
  CHECK(got.at(0).call->input.request.method.empty());
  CHECK(got.at(0).call->input.request.path.empty());
  CHECK_FALSE(got.at(0).call->input.response.has_value());
  CHECK(decodeLikeProtobuf(batch.SerializeAsString()));
}

TEST_CASE("EventDecoder: unpacked ids, unknown fields, wrong wire types, merges", "[decoder]") {
  // PhaseCall: unpacked instance ids, an unknown field, `phase` as bytes (unknown to protobuf),
  // and two request parts that merge.
  std::string call = varintField(2, 5) + varintField(2, 6) + varintField(99, 1) +
                     lengthField(1, "x") + lengthField(3, lengthField(3, "h1")) +
                     lengthField(3, lengthField(5, "/p") + varintField(4, 80));
  std::string event = varintField(1, 9) + lengthField(3, call) + varintField(15, 4);
  CHECK(decodeLikeProtobuf(lengthField(1, event)));
  // The oneof: the last member wins.
  std::string cancelled = varintField(1, 9) + lengthField(3, call) + lengthField(5, "");
  CHECK(decodeLikeProtobuf(lengthField(1, cancelled)));
  // The same member twice merges.
  std::string twice = varintField(1, 9) + lengthField(3, call) + lengthField(3, varintField(1, 2));
  CHECK(decodeLikeProtobuf(lengthField(1, twice)));
}

TEST_CASE("EventDecoder: invalid UTF-8 and truncated input are rejected", "[decoder]") {
  pb::Event e = fullCall();
  e.mutable_phase_call()->mutable_request()->mutable_headers(1)->set_value("bad \xc3(");
  pb::EventBatch batch;
  *batch.add_events() = e;
  std::string bytes;
  batch.SerializePartialToString(&bytes);  // Serializing checks UTF-8 only in debug builds.
  CHECK_FALSE(decodeLikeProtobuf(bytes));
  pb::EventBatch good;
  *good.add_events() = fullCall();
  const std::string full = good.SerializeAsString();
  for (size_t cut : {size_t{1}, size_t{7}, full.size() / 2, full.size() - 1}) {
    CHECK_FALSE(decodeLikeProtobuf(full.substr(0, cut)));
  }
}
