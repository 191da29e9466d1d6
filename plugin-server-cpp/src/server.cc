// The gRPC server: one CompletionQueue polled by the worker pool's leader (see worker_pool.h),
// graceful stop.
#include <absl/synchronization/mutex.h>
#include <grpcpp/grpcpp.h>

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
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
  std::string socketPath;  // Unlinked after stop if still ours ("" for TCP).
  dev_t socketDev{0};      // The socket file this server bound (a replacement server on the
  ino_t socketIno{0};      // same path, as in a sidecar's rolling restart, is left alone).

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
  // gRPC's locks are absl::Mutex; a distribution's absl built without NDEBUG checks every Lock
  // for deadlock cycles (a graph lookup per lock, several per message). Not on a data path.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
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
  if (struct stat st{}; isUnix && ::stat(impl_->socketPath.c_str(), &st) == 0) {
    impl_->socketDev = st.st_dev;
    impl_->socketIno = st.st_ino;
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
  // gRPC unlinks a unix socket's path when it stops listening, even if a replacement server
  // (a sidecar's rolling restart) has bound that path since: keep the replacement's socket under
  // a second name meanwhile and put it back.
  std::string keep;
  if (struct stat st{}; !impl_->socketPath.empty() &&
                         ::stat(impl_->socketPath.c_str(), &st) == 0 &&
                         (st.st_dev != impl_->socketDev || st.st_ino != impl_->socketIno)) {
    keep = impl_->socketPath + ".keep-" + std::to_string(::getpid());
    if (::link(impl_->socketPath.c_str(), keep.c_str()) != 0) {
      keep.clear();
    }
  }
  std::atomic<bool> stopped{false};
  std::thread restorer;
  if (!keep.empty()) {
    restorer = std::thread([&] {  // Puts the replacement's name back within a millisecond.
      while (!stopped.load()) {
        if (struct stat st {}; ::stat(impl_->socketPath.c_str(), &st) != 0) {
          ::rename(keep.c_str(), impl_->socketPath.c_str());
          return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    });
  }
  // GOAWAY at once: gantry sends new events to a new stream (a replacement server on the same
  // address gets them) and half-closes this one once its calls are answered, which ends it.
  // Calls still open at the deadline are cancelled.
  impl_->server->Shutdown(std::chrono::system_clock::now() + grace);
  impl_->server->Wait();
  // Cancelled calls still finish on the queue's thread; only then may the queue shut down.
  impl_->state.waitNoCalls(std::chrono::steady_clock::now() + std::chrono::seconds(10));
  impl_->state.cq->Shutdown();
  impl_->pool.waitPollEnded();
  impl_->server.reset();  // Its listener goes (and gRPC unlinks the path) while `restorer` runs.
  stopped = true;
  if (restorer.joinable()) {
    restorer.join();
  }
  if (!keep.empty()) {
    ::unlink(keep.c_str());  // If gRPC left the path alone (then the rename never happened).
  } else if (struct stat st{}; !impl_->socketPath.empty() &&
                               ::stat(impl_->socketPath.c_str(), &st) == 0 &&
                               st.st_dev == impl_->socketDev && st.st_ino == impl_->socketIno) {
    ::unlink(impl_->socketPath.c_str());
  }
}

Server::Stats Server::stats() const {
  const detail::Activity& a = impl_->activity;
  return {a.phaseCalls.load(), a.replies.load(), a.replyBatches.load(), a.fetches.load(),
          a.cancels.load()};
}

}  // namespace gantry_pdk
