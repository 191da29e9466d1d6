// The gRPC server: one CompletionQueue polled by the worker pool's leader (see worker_pool.h),
// graceful stop.
#include <grpcpp/grpcpp.h>

#include <unistd.h>

#include <stdexcept>
#include <thread>

#include "event_session.h"
#include "gantry_pdk/server.h"
#include "grpc_calls.h"

namespace gantry_pdk {

namespace {
constexpr int kMaxMessageBytes = 64 * 1024 * 1024;
}  // namespace

struct Server::Impl {
  Impl(ServerOptions opts, std::vector<PluginDescriptor> plugins)
      : options(std::move(opts)), table(std::move(plugins)),
        pool(options.workers != 0 ? options.workers
                                  : std::max(4u, 2 * std::thread::hardware_concurrency())),
        state(options, table, pool, activity) {
    state.onShutdownRpc = [this](std::chrono::milliseconds grace) { requestShutdown(grace); };
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
  detail::ServingState state;
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
  grpc::ServerBuilder builder;
  builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
  builder.SetMaxSendMessageSize(kMaxMessageBytes);
  builder.RegisterService(&impl_->state.service);
  builder.RegisterAsyncGenericService(&impl_->state.generic);
  impl_->state.cq = builder.AddCompletionQueue();
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
    impl_->state.cq->Shutdown();
    detail::runCompletionQueue(*impl_->state.cq);
    throw std::runtime_error("cannot listen on " + listen);
  }
  impl_->state.serving = true;
  detail::acceptCalls(impl_->state);
  impl_->pool.startPolling(
      [cq = impl_->state.cq.get()] { return detail::pollCompletionQueue(*cq); });
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
  impl_->state.serving = false;
  // Calls in flight finish and their replies are written; then the streams still open are
  // cancelled and gRPC stops.
  impl_->activity.waitIdle(std::chrono::steady_clock::now() + grace);
  impl_->server->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(100));
  impl_->server->Wait();
  // Cancelled calls still finish on the queue's thread; only then may the queue shut down.
  impl_->state.waitNoCalls(std::chrono::steady_clock::now() + std::chrono::seconds(10));
  impl_->state.cq->Shutdown();
  impl_->pool.waitPollEnded();
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
