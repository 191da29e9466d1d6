#include "plugin/grpc_control.h"

#include <thread>

#include <grpcpp/grpcpp.h>

#include "gateway/plugin/v1/plugin_service.grpc.pb.h"

namespace gateway::plugin {
namespace {

Status fromGrpc(const grpc::Status& s) {
  if (s.ok()) {
    return Status::ok();
  }
  const StatusCode code = s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED
                              ? StatusCode::DeadlineExceeded
                              : s.error_code() == grpc::StatusCode::FAILED_PRECONDITION
                                    ? StatusCode::InvalidArgument
                                    : StatusCode::Unavailable;
  return Status(code, "grpc status " + std::to_string(s.error_code()) + ": " + s.error_message());
}

// Unary calls run on one process-wide CompletionQueue with its own pump thread (intentionally
// leaked: it lives as long as the process). A call's ClientContext is destroyed only after its
// completion came out of cq.Next(), then on the main thread (or on the pump thread when the
// manager is gone): the standard async-unary lifetime, with no race against gRPC's callbacks.
struct PendingCall {
  virtual ~PendingCall() = default;
  virtual void complete() = 0;  // Pump thread.
};

grpc::CompletionQueue& controlQueue() {
  static grpc::CompletionQueue* cq = [] {
    auto* q = new grpc::CompletionQueue();
    std::thread([q] {
      void* tag = nullptr;
      bool ok = false;
      while (q->Next(&tag, &ok)) {
        static_cast<PendingCall*>(tag)->complete();
      }
    }).detach();
    return q;
  }();
  return *cq;
}

template <typename Resp> struct UnaryCall : PendingCall {
  std::unique_ptr<v1::PluginServer::Stub> stub;
  grpc::ClientContext ctx;
  Resp response;
  grpc::Status status;
  std::unique_ptr<grpc::ClientAsyncResponseReader<Resp>> rpc;
  MainPosterSharedPtr poster;
  std::function<void(Status, Resp&&)> done;

  void complete() override {
    std::shared_ptr<UnaryCall> self(this);
    Status s = fromGrpc(status);
    poster->post([self, s] { self->done(s, std::move(self->response)); });
  }
};

template <typename Req, typename Resp, typename Start>
void unary(const ChannelSharedPtr& channel, const Req& request,
           std::chrono::milliseconds deadline, bool waitForReady,
           const MainPosterSharedPtr& poster, std::function<void(Status, Resp&&)> done,
           Start start) {
  auto* call = new UnaryCall<Resp>();
  call->poster = poster;
  call->done = std::move(done);
  call->ctx.set_deadline(std::chrono::system_clock::now() + deadline);
  call->ctx.set_wait_for_ready(waitForReady);
  call->stub = v1::PluginServer::NewStub(channel);
  call->rpc = start(*call->stub, &call->ctx, request, &controlQueue());
  call->rpc->StartCall();
  call->rpc->Finish(&call->response, &call->status, static_cast<PendingCall*>(call));
}

} // namespace

ChannelSharedPtr makeChannel(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 * 1024 * 1024);
  args.SetMaxSendMessageSize(64 * 1024 * 1024);
  // Each supervisor generation gets its own connection (no sharing with an older channel).
  args.SetInt("grpc.use_local_subchannel_pool", 1);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
}

void callGetInfo(const ChannelSharedPtr& channel, const v1::GetInfoRequest& request,
                 std::chrono::milliseconds deadline, bool waitForReady,
                 const MainPosterSharedPtr& poster,
                 std::function<void(Status, v1::GetInfoResponse&&)> done) {
  unary<v1::GetInfoRequest, v1::GetInfoResponse>(
      channel, request, deadline, waitForReady, poster, std::move(done),
      [](v1::PluginServer::Stub& stub, grpc::ClientContext* ctx, const v1::GetInfoRequest& r,
         grpc::CompletionQueue* cq) { return stub.PrepareAsyncGetInfo(ctx, r, cq); });
}

void callConfigure(const ChannelSharedPtr& channel, const v1::ConfigureRequest& request,
                   std::chrono::milliseconds deadline, const MainPosterSharedPtr& poster,
                   std::function<void(Status, v1::ConfigureResponse&&)> done) {
  unary<v1::ConfigureRequest, v1::ConfigureResponse>(
      channel, request, deadline, /*waitForReady=*/false, poster, std::move(done),
      [](v1::PluginServer::Stub& stub, grpc::ClientContext* ctx, const v1::ConfigureRequest& r,
         grpc::CompletionQueue* cq) { return stub.PrepareAsyncConfigure(ctx, r, cq); });
}

void callShutdown(const ChannelSharedPtr& channel, const v1::ShutdownRequest& request,
                  std::chrono::milliseconds deadline, const MainPosterSharedPtr& poster,
                  std::function<void(Status)> done) {
  unary<v1::ShutdownRequest, v1::ShutdownResponse>(
      channel, request, deadline, /*waitForReady=*/false, poster,
      std::function<void(Status, v1::ShutdownResponse&&)>(
          [done = std::move(done)](Status s, v1::ShutdownResponse&&) { done(s); }),
      [](v1::PluginServer::Stub& stub, grpc::ClientContext* ctx, const v1::ShutdownRequest& r,
         grpc::CompletionQueue* cq) { return stub.PrepareAsyncShutdown(ctx, r, cq); });
}

} // namespace gateway::plugin
