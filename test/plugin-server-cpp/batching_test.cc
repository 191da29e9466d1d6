// Reply batching, lazy fetch and cancel through an EventSession with a fake writer (no gRPC), and
// the worker pool's rule that a slow task does not stall the tasks queued behind it.
#include <catch2/catch.hpp>

#include <thread>

#include <atomic>
#include <deque>
#include <condition_variable>
#include <mutex>

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

// Records each write; pump() completes them on the test thread.
class FakeWriter : public detail::ReplyWriter {
public:
  void startWrite(std::string& batch) override {
    std::lock_guard lock(mutex_);
    REQUIRE_FALSE(inFlight_);
    REQUIRE(current_.ParseFromString(std::string(batch)));
    inFlight_ = true;
    changed_.notify_all();
  }
  void finish() override {
    std::lock_guard lock(mutex_);
    REQUIRE_FALSE(finished_);
    finished_ = true;
    changed_.notify_all();
  }
  // Completes writes (ok = `writesSucceed`) until finish(); `seen` sees each batch first.
  void pump(detail::EventSession& session, const std::function<void(const pb::ReplyBatch&)>& seen,
            bool writesSucceed = true) {
    for (;;) {
      pb::ReplyBatch batch;
      {
        std::unique_lock lock(mutex_);
        REQUIRE(changed_.wait_for(lock, std::chrono::seconds(10),
                                  [&] { return inFlight_ || finished_; }));
        if (!inFlight_) {
          return;
        }
        batch = current_;
      }
      seen(batch);
      {
        std::lock_guard lock(mutex_);
        inFlight_ = false;
      }
      session.onWriteDone(writesSucceed);
    }
  }

private:
  std::mutex mutex_;
  std::condition_variable changed_;
  pb::ReplyBatch current_;
  bool inFlight_ = false;
  bool finished_ = false;
};

struct Fixture {
  explicit Fixture(unsigned workers = 4) : pool(workers) {
    table.configure({{1, "hello", ""}, {2, "body", ""}}, {});
  }
  detail::InstanceTable table{{describePlugin<Hello>("hello", "1", 1),
                               describePlugin<BodyEcho>("body", "1", 1)}};
  detail::WorkerPool pool;
  detail::Activity activity;
  FakeWriter writer;
  std::shared_ptr<detail::EventSession> session =
      std::make_shared<detail::EventSession>(table, pool, activity, writer);
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

TEST_CASE("WorkerPool: a slow task does not stall the tasks queued behind it", "[batching]") {
  detail::WorkerPool pool(3);
  std::atomic<bool> release{false};
  std::atomic<int> fastDone{0};
  std::vector<std::function<void()>> tasks;
  tasks.push_back([&] {
    while (!release) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  for (int i = 0; i < 20; ++i) {
    tasks.push_back([&] { fastDone++; });
  }
  pool.submitAll(tasks);
  waitUntil([&] { return fastDone == 20; });  // While the slow task still runs.
  // Two slow tasks at once, then more fast ones: a third worker still takes them.
  std::atomic<bool> release2{false};
  pool.submit([&] {
    while (!release2) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  for (int i = 0; i < 20; ++i) {
    pool.submit([&] { fastDone++; });
  }
  waitUntil([&] { return fastDone == 40; });
  release = true;
  release2 = true;
}

namespace {

// Stands in for the completion queue: poll() blocks for the next posted event and runs it.
class FakeQueue {
public:
  bool poll() {
    std::function<void()> event;
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [&] { return !events_.empty() || shut_; });
      if (events_.empty()) {
        return false;
      }
      event = std::move(events_.front());
      events_.pop_front();
    }
    event();
    return true;
  }
  void post(std::function<void()> event) {
    {
      std::lock_guard lock(mutex_);
      events_.push_back(std::move(event));
    }
    cv_.notify_all();
  }
  void shutdown() {
    {
      std::lock_guard lock(mutex_);
      shut_ = true;
    }
    cv_.notify_all();
  }

private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> events_;
  bool shut_ = false;
};

}  // namespace

TEST_CASE("WorkerPool: polling goes on while a task is slow or blocked", "[batching]") {
  for (unsigned workers : {1u, 2u}) {
    detail::WorkerPool pool(workers);
    FakeQueue queue;
    pool.startPolling([&] { return queue.poll(); });
    std::atomic<bool> release{false};
    std::atomic<int> polled{0};
    std::atomic<int> fastDone{0};
    queue.post([&] {  // Run inline by the leader, which the watchdog then replaces.
      pool.submit([&] {
        while (!release) {
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
      });
    });
    queue.post([&] { polled++; });
    waitUntil([&] { return polled == 1; });
    if (workers == 2) {  // A second handler thread is free: tasks still run.
      queue.post([&] { pool.submit([&] { fastDone++; }); });
      waitUntil([&] { return fastDone == 1; });
      // A task about to wait for something only the poller sees (a lazy fetch) hands over.
      std::atomic<bool> answered{false};
      std::atomic<bool> fetchDone{false};
      queue.post([&] {
        pool.submit([&] {
          pool.blocking();
          while (!answered) {
            std::this_thread::sleep_for(std::chrono::microseconds(100));
          }
          fetchDone = true;
        });
      });
      queue.post([&] { answered = true; });
      waitUntil([&] { return fetchDone.load(); });
    }
    release = true;
    queue.shutdown();
    pool.waitPollEnded();
  }
}

TEST_CASE("EventSession: replies ready together go out in one ReplyBatch", "[batching]") {
  Fixture f(/*workers=*/1);  // One worker runs the ten calls one after another.
  pb::EventBatch batch;
  for (uint64_t i = 1; i <= 10; ++i) {
    *batch.add_events() = phaseCall(i, 1);
  }
  f.session->onBatch(batch);
  f.session->endOfInput();
  std::vector<pb::ReplyBatch> written;
  f.writer.pump(*f.session, [&](const pb::ReplyBatch& b) { written.push_back(b); });
  REQUIRE(written.size() == 1);
  REQUIRE(written[0].replies_size() == 10);
  for (const pb::Reply& r : written[0].replies()) {
    REQUIRE(r.has_result());
    CHECK(r.result().completed() == 1);
    CHECK(r.result().mutations(0).response_header().value() == "h" + std::to_string(r.request_id()));
  }
  CHECK(f.session->runningCallsForTest() == 0);
  CHECK(f.activity.waitIdle(std::chrono::steady_clock::now()));
  CHECK(f.activity.replyBatches == 1);
}

TEST_CASE("EventSession: a string a plugin set that is not UTF-8 is repaired, not fatal",
          "[batching]") {
  Fixture f;
  pb::EventBatch batch;
  pb::Event e = phaseCall(5, 2);  // BodyEcho: x-body = the request body (bytes, any value).
  e.mutable_phase_call()->mutable_request()->set_body("caf\xe9");  // Latin-1, not UTF-8.
  e.mutable_phase_call()->mutable_request()->set_has_body(true);
  *batch.add_events() = e;
  f.session->onBatch(batch);
  f.session->endOfInput();
  std::vector<pb::ReplyBatch> written;  // FakeWriter parses each batch: invalid UTF-8 fails.
  f.writer.pump(*f.session, [&](const pb::ReplyBatch& b) { written.push_back(b); });
  REQUIRE(written.size() == 1);
  CHECK(written[0].replies(0).result().mutations(0).request_header().value() ==
        "caf\xef\xbf\xbd");
}

TEST_CASE("EventSession: a lazy fetch is a Fetch reply answered by a FetchResult event",
          "[batching]") {
  Fixture f;
  pb::EventBatch batch;
  *batch.add_events() = phaseCall(42, 2);
  f.session->onBatch(batch);
  f.session->endOfInput();  // Clean half-close: the call still finishes.
  std::vector<pb::Reply> seen;
  f.writer.pump(*f.session, [&](const pb::ReplyBatch& b) {
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
  });
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].has_fetch());
  REQUIRE(seen[1].has_result());
  CHECK(seen[1].result().mutations(0).request_header().value() == "the body");
  CHECK(f.activity.fetches == 1);
  CHECK(f.activity.waitIdle(std::chrono::steady_clock::now() + std::chrono::seconds(5)));
}

TEST_CASE("EventSession: cancel abandons a call blocked in a fetch", "[batching]") {
  Fixture f;
  pb::EventBatch batch;
  *batch.add_events() = phaseCall(7, 2);
  f.session->onBatch(batch);
  f.session->endOfInput();
  std::vector<pb::Reply> seen;
  f.writer.pump(*f.session, [&](const pb::ReplyBatch& b) {
    for (const pb::Reply& r : b.replies()) {
      seen.push_back(r);
      pb::EventBatch cancel;
      pb::Event* e = cancel.add_events();
      e->set_request_id(7);
      e->set_seq(1);
      e->mutable_cancel();
      f.session->onBatch(cancel);
    }
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
  std::thread writer([&] { f.writer.pump(*f.session, [](const pb::ReplyBatch&) {}, false); });
  f.session->abort();
  writer.join();  // finish() came.
  CHECK(f.activity.waitIdle(std::chrono::steady_clock::now() + std::chrono::seconds(5)));
}
