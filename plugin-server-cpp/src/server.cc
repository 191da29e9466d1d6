// The gRPC side of the plugin server: GetInfo, Configure, Events, Shutdown and grpc.health.v1
// on gRPC's synchronous API. Each Events stream gets its handler thread (the reader) and one
// writer thread (EventSession::runWriter); the sync API allows one concurrent reader and writer
// per stream. Handlers run on the WorkerPool.
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <unistd.h>

#include <stdexcept>
#include <thread>

#include "event_session.h"
#include "gantry_pdk/server.h"
#include "gateway/plugin/v1/plugin_service.grpc.pb.h"

namespace gantry_pdk {

using detail::pb::PluginServer;
namespace pb = detail::pb;

namespace {
constexpr uint32_t kProtocolVersion = 1;
constexpr int kMaxMessageBytes = 64 * 1024 * 1024;
constexpr const char* kServiceName = "gateway.plugin.v1.PluginServer";
}  // namespace

struct Server::Impl final : public PluginServer::Service {
  Impl(ServerOptions opts, std::vector<PluginDescriptor> plugins)
      : options(std::move(opts)), table(std::move(plugins)),
        pool(options.workers != 0 ? options.workers
                                  : std::max(4u, 2 * std::thread::hardware_concurrency())) {}

  // PluginServer::Service
  grpc::Status GetInfo(grpc::ServerContext*, const pb::GetInfoRequest* request,
                       pb::GetInfoResponse* response) override {
    bool offered = request->protocol_versions().empty();
    for (uint32_t v : request->protocol_versions()) {
      offered = offered || v == kProtocolVersion;
    }
    if (!offered) {
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                          "this plugin server speaks protocol versions: 1");
    }
    response->set_protocol_version(kProtocolVersion);
    response->set_server_name(options.serverName);
    for (const PluginDescriptor& d : table.plugins()) {
      pb::PluginInfo* info = response->add_plugins();
      info->set_name(d.name);
      info->set_version(d.version);
      info->set_priority(d.priority);
      for (Phase p : d.phases) {
        info->add_phases(detail::toProto(p));
      }
      for (Phase p : d.bodyPhases) {
        info->add_body_phases(detail::toProto(p));
      }
      info->set_schema_json(d.schemaJson());
    }
    return grpc::Status::OK;
  }

  grpc::Status Configure(grpc::ServerContext*, const pb::ConfigureRequest* request,
                         pb::ConfigureResponse* response) override {
    std::vector<detail::InstanceSpec> specs;
    for (const pb::InstanceConfig& c : request->instances()) {
      specs.push_back({c.instance_id(), c.plugin_name(), c.config_json()});
    }
    std::vector<uint64_t> closeIds(request->close_instance_ids().begin(),
                                   request->close_instance_ids().end());
    for (const detail::InstanceOutcome& o : table.configure(specs, closeIds)) {
      pb::InstanceResult* r = response->add_results();
      r->set_instance_id(o.id);
      r->set_ok(o.ok);
      r->set_error(o.error);
    }
    return grpc::Status::OK;
  }

  grpc::Status Events(grpc::ServerContext* context,
                      grpc::ServerReaderWriter<pb::ReplyBatch, pb::EventBatch>* stream) override {
    auto session = std::make_shared<detail::EventSession>(table, pool, activity);
    std::thread writer([&] {
      session->runWriter([&](pb::ReplyBatch& batch) { return stream->Write(batch); });
    });
    pb::EventBatch batch;
    while (stream->Read(&batch)) {
      session->onBatch(batch);
      batch.Clear();
    }
    session->endOfInput(/*broken=*/context->IsCancelled());
    writer.join();
    return grpc::Status::OK;
  }

  grpc::Status Shutdown(grpc::ServerContext*, const pb::ShutdownRequest* request,
                        pb::ShutdownResponse*) override {
    requestShutdown(std::chrono::milliseconds(request->grace_period_ms()));
    return grpc::Status::OK;
  }

  void requestShutdown(std::chrono::milliseconds grace) {
    {
      std::lock_guard lock(mutex);
      if (!shutdownRequested) {
        shutdownRequested = true;
        gracePeriod = grace;
      }
    }
    shutdownCv.notify_all();
  }

  ServerOptions options;
  detail::InstanceTable table;
  detail::Activity activity;
  detail::WorkerPool pool;  // Destroyed before table/activity, after the gRPC server.
  std::unique_ptr<grpc::Server> server;
  std::string socketPath;  // Unlinked after stop ("" for TCP).

  std::mutex mutex;
  std::condition_variable shutdownCv;
  bool shutdownRequested = false;  // Guarded by mutex.
  std::chrono::milliseconds gracePeriod{0};
  bool stopped = false;
};

Server::Server(ServerOptions options, std::vector<PluginDescriptor> plugins)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(plugins))) {}

Server::~Server() {
  stop(std::chrono::milliseconds(0));
}

std::string Server::start() {
  const std::string& listen = impl_->options.listen;
  if (listen.empty()) {
    throw std::runtime_error("no listen address");
  }
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
  builder.SetMaxSendMessageSize(kMaxMessageBytes);
  builder.RegisterService(impl_.get());
  int selectedPort = 0;
  const bool isUnix = listen.rfind("unix:", 0) == 0;
  if (isUnix) {
    impl_->socketPath = listen.substr(5);
    ::unlink(impl_->socketPath.c_str());  // A stale socket from an earlier run.
    builder.AddListeningPort(listen, grpc::InsecureServerCredentials());
  } else {
    builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &selectedPort);
  }
  impl_->server = builder.BuildAndStart();
  if (!impl_->server || (!isUnix && selectedPort == 0)) {
    impl_->server.reset();
    throw std::runtime_error("cannot listen on " + listen);
  }
  if (auto* health = impl_->server->GetHealthCheckService()) {
    health->SetServingStatus(true);
    health->SetServingStatus(kServiceName, true);
  }
  if (isUnix) {
    return "unix|" + impl_->socketPath;
  }
  return "tcp|" + listen.substr(0, listen.rfind(':')) + ":" + std::to_string(selectedPort);
}

std::chrono::milliseconds Server::waitForShutdownRequest() {
  std::unique_lock lock(impl_->mutex);
  impl_->shutdownCv.wait(lock, [&] { return impl_->shutdownRequested; });
  return impl_->gracePeriod;
}

void Server::requestShutdown(std::chrono::milliseconds grace) { impl_->requestShutdown(grace); }

void Server::stop(std::chrono::milliseconds grace) {
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->stopped) {
      return;
    }
    impl_->stopped = true;
  }
  requestShutdown(grace);  // Wakes waitForShutdownRequest() callers.
  if (!impl_->server) {
    return;
  }
  if (auto* health = impl_->server->GetHealthCheckService()) {
    health->SetServingStatus(false);
  }
  // Calls in flight finish and their replies are written; then the streams still open are
  // cancelled and gRPC stops.
  impl_->activity.waitIdle(std::chrono::steady_clock::now() + grace);
  impl_->server->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(100));
  impl_->server->Wait();
  if (!impl_->socketPath.empty()) {
    ::unlink(impl_->socketPath.c_str());
  }
}

Server::Stats Server::stats() const {
  const detail::Activity& a = impl_->activity;
  return {a.phaseCalls.load(), a.replies.load(), a.replyBatches.load(), a.fetches.load(),
          a.cancels.load()};
}

}  // namespace gantry_pdk
