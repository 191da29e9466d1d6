// Reply batching, lazy fetch and cancel through an EventSession with a fake writer (no gRPC).
#include <catch2/catch.hpp>

#include <thread>

#include "batch_queue.h"
#include "event_session.h"

using namespace gantry_pdk;
namespace pb = detail::pb;

namespace {

class Hello : public Plugin {
public:
  void access(Pdk& kong) override { kong.response.setHeader("x-hello", kong.request.host()); }
};

class BodyEcho : public Plugin {
public:
  void access(Pdk& kong) override {
    kong.serviceRequest.setHeader("x-body", kong.request.rawBody());
  }
};

struct Fixture {
  detail::InstanceTable table{{describePlugin<Hello>("hello", "1", 1),
                               describePlugin<BodyEcho>("body", "1", 1)}};
  detail::WorkerPool pool{4};
  detail::Activity activity;
  std::shared_ptr<detail::EventSession> session =
      std::make_shared<detail::EventSession>(table, pool, activity);
  Fixture() { table.configure({{1, "hello", ""}, {2, "body", ""}}, {}); }
};

pb::Event phaseCall(uint64_t requestId, uint64_t instance) {
  pb::Event e;
  e.set_request_id(requestId);
  e.set_seq(1);
  auto* call = e.mutable_phase_call();
  call->set_phase(pb::PHASE_ACCESS);
  call->add_instance_ids(instance);
  call->mutable_request()->set_host("h" + std::to_string(requestId));
  return e;
}

void waitUntil(const std::function<bool()>& done) {
  for (int i = 0; i < 100000 && !done(); ++i) {
    std::this_thread::yield();
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  REQUIRE(done());
}

}  // namespace

TEST_CASE("BatchQueue: the consumer takes everything ready at once", "[batching]") {
  detail::BatchQueue<int> q;
  q.push(1);
  q.push(2);
  q.push(3);
  CHECK(q.popAll() == std::vector<int>{1, 2, 3});
  q.push(4);
  q.close();
  CHECK_FALSE(q.push(5));
  CHECK(q.popAll() == std::vector<int>{4});
  CHECK(q.popAll().empty());
}

TEST_CASE("EventSession: replies ready together go out in one ReplyBatch", "[batching]") {
  Fixture f;
  pb::EventBatch batch;
  for (uint64_t i = 1; i <= 10; ++i) {
    *batch.add_events() = phaseCall(i, 1);
  }
  f.session->onBatch(batch);
  f.session->endOfInput(/*broken=*/false);
  waitUntil([&] { return f.session->runningCallsForTest() == 0; });
  std::vector<pb::ReplyBatch> written;
  f.session->runWriter([&](pb::ReplyBatch& b) {
    written.push_back(b);
    return true;
  });
  REQUIRE(written.size() == 1);
  REQUIRE(written[0].replies_size() == 10);
  for (const pb::Reply& r : written[0].replies()) {
    REQUIRE(r.has_result());
    CHECK(r.result().completed() == 1);
    CHECK(r.result().mutations(0).response_header().value() == "h" + std::to_string(r.request_id()));
  }
  CHECK(f.activity.waitIdle(std::chrono::steady_clock::now()));
  CHECK(f.activity.replyBatches == 1);
}

TEST_CASE("EventSession: a lazy fetch is a Fetch reply answered by a FetchResult event",
          "[batching]") {
  Fixture f;
  pb::EventBatch batch;
  *batch.add_events() = phaseCall(42, 2);
  f.session->onBatch(batch);
  f.session->endOfInput(false);  // Clean half-close: the call still finishes.
  std::vector<pb::Reply> seen;
  f.session->runWriter([&](pb::ReplyBatch& b) {
    for (const pb::Reply& r : b.replies()) {
      seen.push_back(r);
      if (r.has_fetch()) {
        CHECK(r.fetch().has_request_body());
        pb::EventBatch answer;
        pb::Event* e = answer.add_events();
        e->set_request_id(r.request_id());
        e->set_seq(r.seq());
        e->mutable_fetch_result()->set_fetch_id(r.fetch().fetch_id());
        e->mutable_fetch_result()->set_request_body("the body");
        f.session->onBatch(answer);
      }
    }
    return true;
  });
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].has_fetch());
  REQUIRE(seen[1].has_result());
  CHECK(seen[1].result().mutations(0).request_header().value() == "the body");
  CHECK(f.activity.fetches == 1);
}

TEST_CASE("EventSession: cancel abandons a call blocked in a fetch", "[batching]") {
  Fixture f;
  pb::EventBatch batch;
  *batch.add_events() = phaseCall(7, 2);
  f.session->onBatch(batch);
  f.session->endOfInput(false);
  std::vector<pb::Reply> seen;
  f.session->runWriter([&](pb::ReplyBatch& b) {
    for (const pb::Reply& r : b.replies()) {
      seen.push_back(r);
      pb::EventBatch cancel;
      pb::Event* e = cancel.add_events();
      e->set_request_id(7);
      e->set_seq(1);
      e->mutable_cancel();
      f.session->onBatch(cancel);
    }
    return true;
  });
  REQUIRE(seen.size() == 1);  // The Fetch only; no result for a cancelled call.
  CHECK(seen[0].has_fetch());
  CHECK(f.activity.cancels == 1);
  CHECK(f.activity.waitIdle(std::chrono::steady_clock::now() + std::chrono::seconds(5)));
}

TEST_CASE("EventSession: a broken stream cancels calls and drops replies", "[batching]") {
  Fixture f;
  pb::EventBatch batch;
  *batch.add_events() = phaseCall(8, 2);  // Blocks in its fetch.
  f.session->onBatch(batch);
  std::thread writer([&] { f.session->runWriter([](pb::ReplyBatch&) { return false; }); });
  f.session->endOfInput(/*broken=*/true);
  writer.join();
  CHECK(f.activity.waitIdle(std::chrono::steady_clock::now() + std::chrono::seconds(5)));
}
