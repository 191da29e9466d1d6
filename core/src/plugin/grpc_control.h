#pragma once

// The control-plane RPCs (GetInfo, Configure, Shutdown) and channel creation. The completion
// of each call is posted to the main thread through a MainPoster; nothing here touches runtime
// state on a gRPC thread. One of the two files of the core that include <grpcpp/...>.

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "gateway/common/status.h"
#include "gateway/event/dispatcher.h"
#include "gateway/plugin/v1/plugin_service.pb.h"

namespace grpc {
class Channel;
}

namespace gateway::plugin {

// Posts to the main dispatcher while it is attached; after detach() posts are dropped. Shared by
// everything that may complete after the manager is gone (gRPC callbacks, plan releasers).
class MainPoster {
public:
  explicit MainPoster(event::Dispatcher& main) : main_(&main) {}
  void post(std::function<void()> fn) {
    std::lock_guard<std::mutex> lock(mu_);
    if (main_ != nullptr) {
      main_->post(std::move(fn));
    }
  }
  void detach() {
    std::lock_guard<std::mutex> lock(mu_);
    main_ = nullptr;
  }

private:
  std::mutex mu_;
  event::Dispatcher* main_;
};
using MainPosterSharedPtr = std::shared_ptr<MainPoster>;  // Shared: outlives the manager.

using ChannelSharedPtr = std::shared_ptr<grpc::Channel>;  // Shared by gRPC's own design.

// "unix:/path" or "host:port" (insecure; plugin servers are local by design).
ChannelSharedPtr makeChannel(const std::string& address);

// Each `done` runs on the main thread (via `poster`). `waitForReady`: wait for the connection
// up to the deadline instead of failing at once (used while a server starts).
void callGetInfo(const ChannelSharedPtr& channel, const v1::GetInfoRequest& request,
                 std::chrono::milliseconds deadline, bool waitForReady,
                 const MainPosterSharedPtr& poster,
                 std::function<void(Status, v1::GetInfoResponse&&)> done);
void callConfigure(const ChannelSharedPtr& channel, const v1::ConfigureRequest& request,
                   std::chrono::milliseconds deadline, const MainPosterSharedPtr& poster,
                   std::function<void(Status, v1::ConfigureResponse&&)> done);
void callShutdown(const ChannelSharedPtr& channel, const v1::ShutdownRequest& request,
                  std::chrono::milliseconds deadline, const MainPosterSharedPtr& poster,
                  std::function<void(Status)> done);

} // namespace gateway::plugin
