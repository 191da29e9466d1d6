// The real gRPC plugin server, in process, on a temp unix socket; a stub plays the core.
#include <catch2/catch.hpp>

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <unistd.h>

#include <chrono>
#include <future>
#include <set>
#include <thread>

#include "gantry_pdk/server.h"
#include "gateway/plugin/v1/plugin_service.grpc.pb.h"

using namespace gantry_pdk;
namespace pb = ::gateway::plugin::v1;

namespace {

class SlowHello : public Plugin {
public:
  static Schema schema() { return {Field::string("message").defaultValue("hi")}; }
  explicit SlowHello(const nlohmann::json& c) : message_(c.at("message").get<std::string>()) {}
  void access(Pdk& kong) override {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    kong.response.setHeader("x-hello", message_ + " " + std::string(kong.request.host()));
  }

private:
  std::string message_;
};

class BodyReader : public Plugin {
public:
  void access(Pdk& kong) override { kong.serviceRequest.setHeader("x-len", std::to_string(kong.request.rawBody().size())); }
};

class Thrower : public Plugin {
public:
  void rewrite(Pdk&) override { throw std::runtime_error("kaput"); }
};

std::string tempSocket() {
  return "/tmp/gantry-pdk-e2e-" + std::to_string(::getpid()) + ".sock";
}

pb::Event call(uint64_t requestId, uint64_t instance, pb::Phase phase = pb::PHASE_ACCESS) {
  pb::Event e;
  e.set_request_id(requestId);
  e.set_seq(1);
  e.mutable_phase_call()->set_phase(phase);
  e.mutable_phase_call()->add_instance_ids(instance);
  e.mutable_phase_call()->mutable_request()->set_host("h" + std::to_string(requestId));
  return e;
}

// Health check through a generic stub (no health proto needed): HealthCheckRequest{service}
// is field 1 (string); the response's status is field 1 (enum, SERVING = 1).
int healthStatus(const std::shared_ptr<grpc::Channel>& channel, const std::string& service) {
  grpc::GenericStub stub(channel);
  std::string req = std::string("\x0a", 1) + char(service.size()) + service;
  grpc::Slice slice(req);
  grpc::ByteBuffer request(&slice, 1), response;
  grpc::ClientContext ctx;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&ctx, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &response,
                 [&](grpc::Status s) { done.set_value(s); });
  grpc::Status status = done.get_future().get();
  if (!status.ok()) {
    return -1;
  }
  std::vector<grpc::Slice> slices;
  response.Dump(&slices);
  std::string bytes;
  for (auto& s : slices) bytes += std::string(reinterpret_cast<const char*>(s.begin()), s.size());
  return bytes.size() == 2 && bytes[0] == 0x08 ? bytes[1] : 0;
}

}  // namespace

TEST_CASE("Server end to end over a unix socket", "[e2e]") {
  const std::string path = tempSocket();
  Server server(ServerOptions{"unix:" + path, 8, "e2e"},
                {describePlugin<SlowHello>("slow-hello", "1.0", 100),
                 describePlugin<BodyReader>("body-reader", "1.0", 50),
                 describePlugin<Thrower>("thrower", "1.0", 10)});
  REQUIRE(server.start() == "unix|" + path);
  auto channel = grpc::CreateChannel("unix:" + path, grpc::InsecureChannelCredentials());
  auto stub = pb::PluginServer::NewStub(channel);

  SECTION("handshake, health, configure, events, fetch, cancel, shutdown") {
    {  // Handshake.
      grpc::ClientContext ctx;
      pb::GetInfoRequest req;
      req.add_protocol_versions(1);
      pb::GetInfoResponse resp;
      REQUIRE(stub->GetInfo(&ctx, req, &resp).ok());
      CHECK(resp.protocol_version() == 1);
      CHECK(resp.server_name() == "e2e");
      REQUIRE(resp.plugins_size() == 3);
      CHECK(resp.plugins(0).name() == "slow-hello");
      CHECK(resp.plugins(0).priority() == 100);
      REQUIRE(resp.plugins(0).phases_size() == 1);
      CHECK(resp.plugins(0).phases(0) == pb::PHASE_ACCESS);
      CHECK(nlohmann::json::parse(resp.plugins(0).schema_json())["name"] == "slow-hello");
      CHECK(resp.plugins(1).schema_json().empty());
      CHECK(resp.plugins(2).phases(0) == pb::PHASE_REWRITE);
    }
    {  // A version the server does not speak.
      grpc::ClientContext ctx;
      pb::GetInfoRequest req;
      req.add_protocol_versions(2);
      pb::GetInfoResponse resp;
      grpc::Status s = stub->GetInfo(&ctx, req, &resp);
      CHECK(s.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
      CHECK(s.error_message().find("1") != std::string::npos);
    }
    CHECK(healthStatus(channel, "") == 1);
    CHECK(healthStatus(channel, "gateway.plugin.v1.PluginServer") == 1);
    {  // Configure: one good, one bad config.
      grpc::ClientContext ctx;
      pb::ConfigureRequest req;
      auto* a = req.add_instances();
      a->set_instance_id(7);
      a->set_plugin_name("slow-hello");
      a->set_config_json(R"({"message":"hey"})");
      auto* b = req.add_instances();
      b->set_instance_id(8);
      b->set_plugin_name("slow-hello");
      b->set_config_json(R"({"message":1})");
      auto* c = req.add_instances();
      c->set_instance_id(9);
      c->set_plugin_name("body-reader");
      auto* d = req.add_instances();
      d->set_instance_id(10);
      d->set_plugin_name("thrower");
      pb::ConfigureResponse resp;
      REQUIRE(stub->Configure(&ctx, req, &resp).ok());
      REQUIRE(resp.results_size() == 4);
      CHECK(resp.results(0).ok());
      CHECK_FALSE(resp.results(1).ok());
      CHECK(resp.results(1).error() == "message: expected a string");
      CHECK(resp.results(2).ok());
      CHECK(resp.results(3).ok());
    }

    grpc::ClientContext ctx;
    auto stream = stub->Events(&ctx);
    {  // 100 concurrent phase calls in one batch; 20 ms each on 8 workers.
      pb::EventBatch batch;
      for (uint64_t i = 1; i <= 100; ++i) {
        *batch.add_events() = call(i, 7);
      }
      const auto start = std::chrono::steady_clock::now();
      REQUIRE(stream->Write(batch));
      std::set<uint64_t> seen;
      pb::ReplyBatch replies;
      int batches = 0;
      while (seen.size() < 100 && stream->Read(&replies)) {
        ++batches;
        for (const pb::Reply& r : replies.replies()) {
          REQUIRE(r.has_result());
          CHECK(r.result().completed() == 1);
          CHECK(r.result().mutations(0).instance_id() == 7);
          CHECK(r.result().mutations(0).response_header().value() ==
                "hey h" + std::to_string(r.request_id()));
          seen.insert(r.request_id());
        }
      }
      const auto elapsed = std::chrono::steady_clock::now() - start;
      CHECK(seen.size() == 100);
      CHECK(batches < 100);  // Replies ready together were packed.
      CHECK(elapsed < std::chrono::milliseconds(1500));  // Sequential would take 2 s.
    }
    pb::ReplyBatch in;
    {  // A handler exception and an unknown instance.
      pb::EventBatch batch;
      *batch.add_events() = call(200, 10, pb::PHASE_REWRITE);
      REQUIRE(stream->Write(batch));
      REQUIRE(stream->Read(&in));
      REQUIRE(in.replies(0).result().has_error());
      CHECK(in.replies(0).result().error().kind() == pb::PluginError::KIND_HANDLER);
      CHECK(in.replies(0).result().error().message() == "thrower rewrite: kaput");
      CHECK(in.replies(0).result().completed() == 0);
      batch.Clear();
      *batch.add_events() = call(201, 8);  // Rejected by Configure: unknown.
      REQUIRE(stream->Write(batch));
      REQUIRE(stream->Read(&in));
      CHECK(in.replies(0).result().error().kind() == pb::PluginError::KIND_UNKNOWN_INSTANCE);
    }
    {  // A lazy fetch on the same stream.
      pb::EventBatch batch;
      *batch.add_events() = call(300, 9);
      REQUIRE(stream->Write(batch));
      REQUIRE(stream->Read(&in));
      REQUIRE(in.replies(0).has_fetch());
      CHECK(in.replies(0).fetch().has_request_body());
      batch.Clear();
      pb::Event* e = batch.add_events();
      e->set_request_id(300);
      e->set_seq(1);
      e->mutable_fetch_result()->set_fetch_id(in.replies(0).fetch().fetch_id());
      e->mutable_fetch_result()->set_request_body("12345");
      REQUIRE(stream->Write(batch));
      REQUIRE(stream->Read(&in));
      REQUIRE(in.replies(0).has_result());
      CHECK(in.replies(0).result().mutations(0).request_header().value() == "5");
    }
    {  // Cancel a call waiting for its fetch: no result comes; the next call still works.
      pb::EventBatch batch;
      *batch.add_events() = call(400, 9);
      REQUIRE(stream->Write(batch));
      REQUIRE(stream->Read(&in));
      REQUIRE(in.replies(0).has_fetch());
      batch.Clear();
      pb::Event* e = batch.add_events();
      e->set_request_id(400);
      e->set_seq(1);
      e->mutable_cancel();
      *batch.add_events() = call(401, 7);
      REQUIRE(stream->Write(batch));
      REQUIRE(stream->Read(&in));
      REQUIRE(in.replies_size() == 1);
      CHECK(in.replies(0).request_id() == 401);
    }
    // Clean close: half-close, the server ends the stream with OK.
    REQUIRE(stream->WritesDone());
    CHECK_FALSE(stream->Read(&in));
    CHECK(stream->Finish().ok());
    CHECK(server.stats().cancels == 1);
    CHECK(server.stats().fetches == 2);

    {  // Shutdown RPC.
      grpc::ClientContext sctx;
      pb::ShutdownRequest req;
      req.set_grace_period_ms(1234);
      pb::ShutdownResponse resp;
      REQUIRE(stub->Shutdown(&sctx, req, &resp).ok());
      CHECK(server.waitForShutdownRequest() == std::chrono::milliseconds(1234));
    }
  }
  server.stop(std::chrono::milliseconds(1000));
  CHECK(::access(path.c_str(), F_OK) != 0);  // Socket unlinked.
}

TEST_CASE("Server stop finishes calls in flight before ending streams", "[e2e]") {
  const std::string path = tempSocket() + "2";
  Server server(ServerOptions{"unix:" + path, 4, "e2e"},
                {describePlugin<SlowHello>("slow-hello", "1.0", 100)});
  server.start();
  auto stub = pb::PluginServer::NewStub(
      grpc::CreateChannel("unix:" + path, grpc::InsecureChannelCredentials()));
  {
    grpc::ClientContext ctx;
    pb::ConfigureRequest req;
    auto* a = req.add_instances();
    a->set_instance_id(1);
    a->set_plugin_name("slow-hello");
    pb::ConfigureResponse resp;
    REQUIRE(stub->Configure(&ctx, req, &resp).ok());
  }
  grpc::ClientContext ctx;
  auto stream = stub->Events(&ctx);
  pb::EventBatch batch;
  for (uint64_t i = 1; i <= 8; ++i) {
    *batch.add_events() = call(i, 1);
  }
  REQUIRE(stream->Write(batch));
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  std::thread stopper([&] { server.stop(std::chrono::milliseconds(2000)); });
  int results = 0;
  pb::ReplyBatch in;
  while (stream->Read(&in)) {
    results += in.replies_size();
  }
  stopper.join();
  CHECK(results == 8);
}
