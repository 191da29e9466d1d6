#include "test_plugin_server.h"

#include <unistd.h>

#include <condition_variable>
#include <map>
#include <optional>
#include <thread>

#include <grpcpp/grpcpp.h>
#include <nlohmann/json.hpp>

#include "gateway/plugin/v1/plugin_service.grpc.pb.h"

namespace gateway::plugin::testing {
namespace v1 = gateway::plugin::v1;

namespace {

struct PluginDef {
  const char* name;
  int priority;
  std::vector<v1::Phase> phases;
};

const std::vector<PluginDef>& plugins() {
  static const std::vector<PluginDef> defs = {
      {"add-header", 1000, {v1::PHASE_ACCESS, v1::PHASE_HEADER_FILTER, v1::PHASE_LOG}},
      {"auth", 1250, {v1::PHASE_ACCESS}},
      {"tagger", 900, {v1::PHASE_ACCESS}},
      {"slow", 500, {v1::PHASE_ACCESS}},
      {"fail", 400, {v1::PHASE_ACCESS}},
      {"node", 300, {v1::PHASE_ACCESS}},
      // kong.response.set_header in access (value "exit": then kong.response.exit(403)).
      {"early-header", 950, {v1::PHASE_ACCESS}},
      // Log phase: the reply message of a batch holding one of its calls is written 300 ms late.
      {"slow-log", 200, {v1::PHASE_LOG}},
  };
  return defs;
}

const char* kSchema =
    R"({"name":"x","fields":[{"config":{"type":"record","fields":[{"value":{"type":"string"}}]}}]})";

} // namespace

class TestPluginService final : public v1::PluginServer::Service {
public:
  std::function<void()> onShutdown;
  mutable std::mutex mu;
  std::map<uint64_t, std::pair<std::string, std::string>> instances;  // id -> (plugin, value)
  std::atomic<uint64_t> configureCalls{0}, batches{0}, events{0}, cancels{0};

  grpc::Status GetInfo(grpc::ServerContext*, const v1::GetInfoRequest* req,
                       v1::GetInfoResponse* resp) override {
    bool speaks1 = false;
    for (auto v : req->protocol_versions()) {
      speaks1 = speaks1 || v == 1;
    }
    if (!speaks1) {
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "need protocol 1");
    }
    resp->set_protocol_version(1);
    resp->set_server_name("test-plugin-server");
    for (const auto& d : plugins()) {
      auto* p = resp->add_plugins();
      p->set_name(d.name);
      p->set_version("0.1");
      p->set_priority(d.priority);
      for (auto ph : d.phases) {
        p->add_phases(ph);
      }
      p->set_schema_json(kSchema);
    }
    return grpc::Status::OK;
  }

  grpc::Status Configure(grpc::ServerContext*, const v1::ConfigureRequest* req,
                         v1::ConfigureResponse* resp) override {
    ++configureCalls;
    std::lock_guard<std::mutex> lock(mu);
    for (const auto& inst : req->instances()) {
      auto cfg = nlohmann::json::parse(inst.config_json(), nullptr, false);
      std::string value = cfg.is_object() ? cfg.value("value", std::string()) : std::string();
      auto* r = resp->add_results();
      r->set_instance_id(inst.instance_id());
      if (value == "reject-me") {
        r->set_ok(false);
        r->set_error("config.value: rejected by server");
        continue;
      }
      r->set_ok(true);
      instances[inst.instance_id()] = {inst.plugin_name(), value};
    }
    for (auto id : req->close_instance_ids()) {
      instances.erase(id);
    }
    return grpc::Status::OK;
  }

  grpc::Status Shutdown(grpc::ServerContext*, const v1::ShutdownRequest*,
                        v1::ShutdownResponse*) override {
    if (onShutdown) {
      std::thread(onShutdown).detach();
    }
    return grpc::Status::OK;
  }

  struct Pending {
    v1::PhaseCall call;
    int index{0};
    v1::PhaseResult result;
    std::optional<v1::FetchResult> fetched;
    bool waitingFetch{false};
  };

  grpc::Status Events(grpc::ServerContext*,
                      grpc::ServerReaderWriter<v1::ReplyBatch, v1::EventBatch>* stream) override {
    std::map<std::pair<uint64_t, uint32_t>, Pending> pending;
    v1::EventBatch in;
    while (stream->Read(&in)) {
      ++batches;
      events += in.events_size();
      v1::ReplyBatch out;
      for (const auto& e : in.events()) {
        const auto key = std::make_pair(e.request_id(), e.seq());
        if (e.has_phase_call()) {
          Pending p;
          p.call = e.phase_call();
          auto& slot = pending[key] = std::move(p);
          run(key, slot, out, pending);
        } else if (e.has_fetch_result()) {
          auto it = pending.find(key);
          if (it != pending.end()) {
            it->second.fetched = e.fetch_result();
            it->second.waitingFetch = false;
            run(key, it->second, out, pending);
          }
        } else if (e.has_cancel()) {
          ++cancels;
          pending.erase(key);
        }
      }
      if (slowLogInBatch) {
        slowLogInBatch = false;
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
      }
      if (out.replies_size() > 0 && !stream->Write(out)) {
        break;
      }
    }
    return grpc::Status::OK;
  }

private:
  // Set by run() for a slow-log call: Events delays the batch's reply message.
  static inline thread_local bool slowLogInBatch = false;

  static v1::Mutation* mutation(v1::PhaseResult& r, uint64_t id) {
    auto* m = r.add_mutations();
    m->set_instance_id(id);
    return m;
  }
  static void setHeader(v1::HeaderMutation* h, const std::string& n, const std::string& v) {
    h->set_action(v1::HEADER_ACTION_SET);
    h->set_name(n);
    h->set_value(v);
  }

  // Runs the remaining instances of a call; stops to fetch or to hang.
  void run(std::pair<uint64_t, uint32_t> key, Pending& p, v1::ReplyBatch& out,
           std::map<std::pair<uint64_t, uint32_t>, Pending>& pending) {
    auto reply = [&](bool finished) {
      auto* r = out.add_replies();
      r->set_request_id(key.first);
      r->set_seq(key.second);
      if (finished) {
        *r->mutable_result() = p.result;
        pending.erase(key);
      }
      return r;
    };
    const auto phase = p.call.phase();
    for (; p.index < p.call.instance_ids_size(); ++p.index) {
      const uint64_t id = p.call.instance_ids(p.index);
      std::pair<std::string, std::string> inst;
      {
        std::lock_guard<std::mutex> lock(mu);
        auto it = instances.find(id);
        if (it == instances.end()) {
          p.result.set_completed(p.index);
          p.result.mutable_error()->set_kind(v1::PluginError::KIND_UNKNOWN_INSTANCE);
          p.result.mutable_error()->set_instance_id(id);
          p.result.mutable_error()->set_message("no plugin instance " + std::to_string(id));
          reply(true);
          return;
        }
        inst = it->second;
      }
      const auto& [name, value] = inst;
      if (name == "add-header") {
        if (phase == v1::PHASE_ACCESS) {
          setHeader(mutation(p.result, id)->mutable_request_header(), "X-Added", value);
        } else if (phase == v1::PHASE_HEADER_FILTER) {
          setHeader(mutation(p.result, id)->mutable_response_header(), "X-Resp", value);
        } else if (phase == v1::PHASE_LOG) {
          auto* l = mutation(p.result, id)->mutable_log();
          l->set_level(v1::LOG_LEVEL_INFO);
          l->set_message("logged " + p.call.request().path());
        }
      } else if (name == "early-header") {
        setHeader(mutation(p.result, id)->mutable_response_header(), "X-Early", value);
        if (value == "exit") {
          auto* ex = mutation(p.result, id)->mutable_exit();
          ex->set_status(403);
          p.result.set_completed(p.index + 1);
          reply(true);
          return;
        }
      } else if (name == "slow-log") {
        slowLogInBatch = true;
      } else if (name == "tagger") {
        setHeader(mutation(p.result, id)->mutable_request_header(), "X-Tag", value);
      } else if (name == "auth") {
        std::string key;
        for (const auto& h : p.call.request().headers()) {
          if (h.name() == "apikey") {
            key = h.value();
          }
        }
        if (!key.empty() && !p.fetched) {
          auto* f = reply(false)->mutable_fetch();
          f->set_fetch_id(1);
          f->mutable_credential()->set_kind("keyauth_credentials");
          f->mutable_credential()->set_field("key");
          f->mutable_credential()->set_value(key);
          p.waitingFetch = true;
          return;
        }
        if (p.fetched && p.fetched->has_credential()) {
          auto* a = mutation(p.result, id)->mutable_authenticate();
          *a->mutable_consumer() = p.fetched->credential().consumer();
          *a->mutable_credential() = p.fetched->credential().credential();
          p.fetched.reset();
        } else {
          p.fetched.reset();
          auto* ex = mutation(p.result, id)->mutable_exit();
          ex->set_status(401);
          ex->set_body("{\"message\":\"Unauthorized\"}");
          ex->set_has_body(true);
          p.result.set_completed(p.index + 1);
          reply(true);
          return;
        }
      } else if (name == "slow") {
        return;  // Never answers.
      } else if (name == "fail") {
        p.result.set_completed(p.index);
        p.result.mutable_error()->set_kind(v1::PluginError::KIND_HANDLER);
        p.result.mutable_error()->set_instance_id(id);
        p.result.mutable_error()->set_message("boom");
        reply(true);
        return;
      } else if (name == "node") {
        if (!p.fetched) {
          auto* f = reply(false)->mutable_fetch();
          f->set_fetch_id(2);
          f->mutable_node_id();
          return;
        }
        setHeader(mutation(p.result, id)->mutable_request_header(), "X-Node",
                  p.fetched->node_id());
        p.fetched.reset();
      }
    }
    p.result.set_completed(p.call.instance_ids_size());
    reply(true);
  }
};

TestPluginServer::TestPluginServer(const std::string& address)
    : service_(std::make_unique<TestPluginService>()) {
  if (address.rfind("unix:", 0) == 0) {
    ::unlink(address.substr(5).c_str());
  }
  grpc::ServerBuilder builder;
  builder.AddListeningPort(address, grpc::InsecureServerCredentials());
  builder.RegisterService(service_.get());
  server_ = builder.BuildAndStart();
  service_->onShutdown = [this] { server_->Shutdown(); };
}

TestPluginServer::~TestPluginServer() { shutdown(); }

void TestPluginServer::shutdown() {
  if (server_) {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(200));
    server_->Wait();
    server_.reset();
  }
}

void TestPluginServer::wait() { server_->Wait(); }

void TestPluginServer::forgetInstances() {
  std::lock_guard<std::mutex> lock(service_->mu);
  service_->instances.clear();
}
size_t TestPluginServer::knownInstances() const {
  std::lock_guard<std::mutex> lock(service_->mu);
  return service_->instances.size();
}
uint64_t TestPluginServer::configureCalls() const { return service_->configureCalls; }
uint64_t TestPluginServer::batchesReceived() const { return service_->batches; }
uint64_t TestPluginServer::eventsReceived() const { return service_->events; }
uint64_t TestPluginServer::cancelsReceived() const { return service_->cancels; }

} // namespace gateway::plugin::testing
