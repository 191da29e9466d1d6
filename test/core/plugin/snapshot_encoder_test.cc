// snapshot_encoder.h against protobuf: its bytes must parse as the EventBatch the readable
// reference builder (snapshot_reference.h) makes from the same RequestState, in every phase and
// with every optional part; and wire::Writer's length patching at its edges.

#include <chrono>
#include <string>

#include <catch2/catch.hpp>
#include <google/protobuf/util/message_differencer.h>

#include "plugin/snapshot_encoder.h"
#include "plugin/wire_writer.h"
#include "snapshot_reference.h"

using namespace gateway;
using namespace gateway::plugin;

namespace {

struct Fixture {
  PluginDescriptor descriptor;
  PlanInstance a, b;
  config::Route route;
  config::Service service;
  config::Consumer consumer;
  proxy::RequestState state;

  Fixture() {
    a.instanceId = 7;
    a.plugin = &descriptor;
    b.instanceId = 300000;  // A multi-byte varint.
    b.plugin = &descriptor;
    route.id = "route-1";
    service.id = "service-1";
    consumer.id = "c-1";
    consumer.username = "alice";
    consumer.tags = {"gold", ""};
    state.id = 123456789;
    state.startedAt = std::chrono::system_clock::now();
    state.clientIp = "10.0.0.1";
    state.clientPort = 54321;
    state.host = "example.com";
    state.port = 8000;
    state.request.method = "POST";
    state.request.path = "/p/\xff\xfe";  // Not UTF-8: repaired in the snapshot.
    state.request.rawQuery = "a=1&b=2";
    state.request.headers.add("Host", "example.com");
    state.request.headers.add("User-Agent", "a rather long user agent value, over 15 bytes");
    state.request.headers.add("X-Empty", "");
    state.request.headers.add("X-Bad", "caf\xe9");
    state.response.status = 201;
    state.response.headers.add("Content-Type", "text/plain");
    state.serviceStatus = 200;
    state.serviceResponseHeaders.add("Server", "up");
    state.totalLatencyMs = 12;
    state.proxyLatencyMs = 2;
    state.upstreamLatencyMs = 10;
    state.bytesSent = 1234;
    state.bytesReceived = 99;
  }

  void full() {
    state.route = &route;
    state.service = &service;
    state.consumer = &consumer;
    state.credentialId = "cred-1";
    state.credentialConsumerId = "c-1";
    state.shared = {{"k", "\"v\""}, {"empty", ""}};
    state.requestBody = std::string(20000, 'x');  // Lengths of 3 bytes.
    state.responseBody = "response body";
    state.upstreamTarget = upstream::Endpoint{"10.0.0.2", 8080};
    state.upstreamPath = "/rewritten";
    state.request.versionMinor = 0;
  }
};

v1::EventBatch encoded(const Fixture& f, Phase phase, bool body, uint64_t rid = 42,
                       uint32_t seq = 3) {
  std::string out;
  appendPhaseCallEvent(out, rid, seq, phase, f.state, {&f.a, &f.b}, body);
  v1::EventBatch batch;
  REQUIRE(batch.ParseFromString(out));
  return batch;
}

v1::EventBatch reference(const Fixture& f, Phase phase, bool body, uint64_t rid = 42,
                         uint32_t seq = 3) {
  v1::EventBatch batch;
  auto* e = batch.add_events();
  e->set_request_id(rid);
  e->set_seq(seq);
  testing::fillPhaseCall(*e->mutable_phase_call(), phase, f.state, {&f.a, &f.b}, body);
  return batch;
}

void requireSame(v1::EventBatch got, v1::EventBatch want) {
  // finished_at_ms is "now" in each builder: equal up to the time between the two calls.
  if (got.events(0).phase_call().has_log()) {
    auto* g = got.mutable_events(0)->mutable_phase_call()->mutable_log();
    const auto w = want.events(0).phase_call().log().finished_at_ms();
    CHECK(std::abs(g->finished_at_ms() - w) < 1000);
    g->set_finished_at_ms(w);
  }
  std::string diff;
  google::protobuf::util::MessageDifferencer d;
  d.ReportDifferencesToString(&diff);
  INFO(diff);
  CHECK(d.Compare(got, want));
}

} // namespace

TEST_CASE("SnapshotEncoder.matchesTheReferenceInEveryPhase", "[snapshot_encoder]") {
  Fixture f;
  const bool full = GENERATE(false, true);
  if (full) {
    f.full();
  }
  for (Phase phase : {Phase::Rewrite, Phase::Access, Phase::Response, Phase::HeaderFilter,
                      Phase::Log}) {
    for (bool body : {false, true}) {
      INFO("phase " << static_cast<int>(phase) << " body " << body << " full " << full);
      requireSame(encoded(f, phase, body), reference(f, phase, body));
    }
  }
}

TEST_CASE("SnapshotEncoder.fieldsAsAPluginReadsThem", "[snapshot_encoder]") {
  Fixture f;
  f.full();
  const auto batch = encoded(f, Phase::Log, true);
  REQUIRE(batch.events_size() == 1);
  const auto& e = batch.events(0);
  CHECK(e.request_id() == 42);
  CHECK(e.seq() == 3);
  const auto& c = e.phase_call();
  CHECK(c.phase() == v1::PHASE_LOG);
  REQUIRE(c.instance_ids_size() == 2);
  CHECK(c.instance_ids(1) == 300000);
  CHECK(c.request().method() == "POST");
  CHECK(c.request().path() == "/p/\xEF\xBF\xBD\xEF\xBF\xBD");
  REQUIRE(c.request().headers_size() == 4);
  CHECK(c.request().headers(2).name() == "X-Empty");
  CHECK(c.request().headers(2).value().empty());
  CHECK(c.request().headers(3).value() == "caf\xEF\xBF\xBD");
  CHECK(c.request().body().size() == 20000);
  CHECK(c.request().http_version() == "1.0");
  CHECK(c.request().request_id() == "123456789");
  CHECK(c.response().status() == 201);
  CHECK(c.response().service_headers(0).value() == "up");
  CHECK(c.response().body().empty());  // The response body travels in the response phase only.
  CHECK(c.shared().at("k") == "\"v\"");
  CHECK(c.shared().count("empty") == 1);
  CHECK(c.consumer().tags_size() == 2);
  CHECK(c.credential().id() == "cred-1");
  CHECK(c.log().upstream_uri() == "/rewritten?a=1&b=2");
  CHECK(c.log().upstream_target() == "10.0.0.2:8080");
}

TEST_CASE("SnapshotEncoder.eventsConcatenateIntoOneBatch", "[snapshot_encoder]") {
  Fixture f;
  std::string out;
  for (uint32_t seq = 1; seq <= 3; ++seq) {
    appendPhaseCallEvent(out, 9, seq, Phase::Access, f.state, {&f.a}, false);
  }
  v1::EventBatch batch;
  REQUIRE(batch.ParseFromString(out));
  REQUIRE(batch.events_size() == 3);
  CHECK(batch.events(2).seq() == 3);
  CHECK(batch.events(0).phase_call().request().host() == "example.com");
}

TEST_CASE("WireWriter.lengthsOfEverySizeAreCanonical", "[snapshot_encoder]") {
  // A length reserved as 1 or 2 bytes ends up 1, 2 or 3 bytes long; the bytes must equal
  // protobuf's own serialization of the same message (PhaseCall.request.method).
  for (size_t n : {0, 1, 125, 126, 127, 128, 16380, 16381, 16384, 70000}) {
    for (size_t guess : {1, 2}) {
      std::string out;
      wire::Writer w(out);
      auto m = w.begin(3, guess);
      w.bytesField(1, std::string(n, 'a'));
      w.end(m);
      v1::PhaseCall call;
      call.mutable_request()->set_method(std::string(n, 'a'));
      INFO("n " << n << " guess " << guess);
      CHECK(out == call.SerializeAsString());
    }
  }
}
