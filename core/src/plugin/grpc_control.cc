#include "plugin/grpc_control.h"

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

// One unary call: context, request and response live until the completion ran.
template <typename Req, typename Resp> struct UnaryCall {
  std::unique_ptr<v1::PluginServer::Stub> stub;  // Kept until the completion, to be safe.
  grpc::ClientContext ctx;
  Req request;
  Resp response;
};

template <typename Req, typename Resp, typename Start>
void unary(const ChannelSharedPtr& channel, const Req& request,
           std::chrono::milliseconds deadline, bool waitForReady,
           const MainPosterSharedPtr& poster, std::function<void(Status, Resp&&)> done,
           Start start) {
  auto call = std::make_shared<UnaryCall<Req, Resp>>();
  call->request = request;
  call->ctx.set_deadline(std::chrono::system_clock::now() + deadline);
  call->ctx.set_wait_for_ready(waitForReady);
  call->stub = v1::PluginServer::NewStub(channel);
  start(*call->stub, call.get(), [call, poster, done = std::move(done)](grpc::Status s) mutable {
    Status status = fromGrpc(s);
    poster->post([call, status, done = std::move(done)]() mutable {
      done(status, std::move(call->response));
    });
  });
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
  using Call = UnaryCall<v1::GetInfoRequest, v1::GetInfoResponse>;
  unary<v1::GetInfoRequest, v1::GetInfoResponse>(
      channel, request, deadline, waitForReady, poster, std::move(done),
      [](v1::PluginServer::Stub& stub, Call* c, std::function<void(grpc::Status)> cb) {
        stub.async()->GetInfo(&c->ctx, &c->request, &c->response, std::move(cb));
      });
}

void callConfigure(const ChannelSharedPtr& channel, const v1::ConfigureRequest& request,
                   std::chrono::milliseconds deadline, const MainPosterSharedPtr& poster,
                   std::function<void(Status, v1::ConfigureResponse&&)> done) {
  using Call = UnaryCall<v1::ConfigureRequest, v1::ConfigureResponse>;
  unary<v1::ConfigureRequest, v1::ConfigureResponse>(
      channel, request, deadline, /*waitForReady=*/false, poster, std::move(done),
      [](v1::PluginServer::Stub& stub, Call* c, std::function<void(grpc::Status)> cb) {
        stub.async()->Configure(&c->ctx, &c->request, &c->response, std::move(cb));
      });
}

void callShutdown(const ChannelSharedPtr& channel, const v1::ShutdownRequest& request,
                  std::chrono::milliseconds deadline, const MainPosterSharedPtr& poster,
                  std::function<void(Status)> done) {
  using Call = UnaryCall<v1::ShutdownRequest, v1::ShutdownResponse>;
  unary<v1::ShutdownRequest, v1::ShutdownResponse>(
      channel, request, deadline, /*waitForReady=*/false, poster,
      std::function<void(Status, v1::ShutdownResponse&&)>(
          [done = std::move(done)](Status s, v1::ShutdownResponse&&) { done(s); }),
      [](v1::PluginServer::Stub& stub, Call* c, std::function<void(grpc::Status)> cb) {
        stub.async()->Shutdown(&c->ctx, &c->request, &c->response, std::move(cb));
      });
}

} // namespace gateway::plugin
