#include "plugin/worker_plugins.h"

#include <algorithm>
#include <utility>

#include "plugin/request_plugins.h"

namespace gateway::plugin {

WorkerContext::WorkerContext(event::Dispatcher& d, std::vector<ServerShared*> s,
                             RuntimeCounters& c, ControlHandleSharedPtr h, LogFn l,
                             MutationLimits m, std::string node)
    : dispatcher(d), servers(std::move(s)), counters(c), control(std::move(h)),
      log(std::move(l)), limits(m), nodeId(std::move(node)) {
  links.resize(servers.size());
  for (size_t i = 0; i < servers.size(); ++i) {
    const int n = std::max(1, servers[i]->config.streams);
    for (int k = 0; k < n; ++k) {
      links[i].push_back(std::make_unique<ServerLink>(
          dispatcher, *servers[i], [control = control, i](uint64_t generation) {
            control->run([i, generation](RuntimeControl& c) { c.onStreamBroken(i, generation); });
          }));
    }
  }
}

WorkerContext::~WorkerContext() {
  logCalls.clear();  // Before the links they borrow.
  links.clear();
}

ServerLink& WorkerContext::link(size_t server, uint64_t requestId) {
  auto& l = links[server];
  return *l[requestId % l.size()];
}

void WorkerContext::onServerChanged(size_t server) {
  if (server < links.size()) {
    for (auto& l : links[server]) {
      l->onServerChanged();
    }
  }
}

void WorkerContext::reconfigure(size_t server, std::vector<uint64_t> ids,
                                std::function<void(bool)> done) {
  std::weak_ptr<WorkerContext> weak = weak_from_this();
  event::Dispatcher* d = &dispatcher;
  // The reply hops main -> worker; the worker may be gone by then (weak_ptr), and the
  // dispatcher outlives the worker's plugin objects (it runs their destruction).
  control->run([server, ids = std::move(ids), weak, d, done = std::move(done)](
                   RuntimeControl& c) mutable {
    c.reconfigure(server, std::move(ids), [weak, d, done = std::move(done)](bool ok) mutable {
      d->post([weak, done, ok] {
        if (auto self = weak.lock()) {
          done(ok);
        }
      });
    });
  });
}

void WorkerContext::adoptLogCall(std::unique_ptr<LogCall> call) {
  LogCall* key = call.get();
  logCalls.emplace(key, std::move(call));
}

void WorkerContext::dropLogCall(LogCall* call) { logCalls.erase(call); }

void WorkerContext::drainLogs(std::chrono::milliseconds bound, std::function<void()> done) {
  for (auto& streams : links) {
    for (auto& l : streams) {
      l->flushLogs();
    }
  }
  // Polled rather than signalled from dropLogCall(), which runs inside a LogCall's own reply.
  drainTimer = dispatcher.createTimer(
      [this, deadline = dispatcher.now() + bound, done = std::move(done)]() mutable {
        if (!logCalls.empty() && dispatcher.now() < deadline) {
          drainTimer->enable(std::chrono::milliseconds(5));
          return;
        }
        if (done) {
          std::exchange(done, nullptr)();
        }
      });
  drainTimer->enable(std::chrono::milliseconds(0));
}

WorkerPluginsImpl::WorkerPluginsImpl(std::shared_ptr<WorkerContext> context,
                                     std::function<void()> unregister)
    : context_(std::move(context)), unregister_(std::move(unregister)) {}

WorkerPluginsImpl::~WorkerPluginsImpl() {
  if (unregister_) {
    unregister_();
  }
}

void WorkerPluginsImpl::drain(std::function<void()> done) {
  context_->drainLogs(kLogDrainBound, std::move(done));
}

RequestPluginsPtr WorkerPluginsImpl::startRequest(const PluginPlan& plan,
                                                  proxy::RequestState& state,
                                                  RequestDataSource& source) {
  const auto* impl = dynamic_cast<const PluginPlanImpl*>(&plan);
  if (impl == nullptr || impl->empty()) {
    return nullptr;
  }
  return std::make_unique<RequestPluginsImpl>(*context_, impl->data(), state, source);
}

} // namespace gateway::plugin
