#pragma once

// The fake peer of the plugin runtime: a small C++ plugin server (gRPC sync API) with a few
// built-in plugins whose behaviour the end-to-end tests rely on. Runs in-process on a unix
// socket (sidecar tests) or as a child process via test_plugin_server_main.cc (managed tests).
//
// Plugins (all read config {"value": string}):
//   add-header  (priority 1000; access, log, header_filter): access adds request header
//               X-Added: <value>; header_filter adds response header X-Resp: <value>;
//               log emits a log line.
//   auth        (1250; access): header "apikey" -> Fetch credential keyauth_credentials.key and
//               Authenticate its consumer; no header or no match -> Exit 401.
//   tagger      (900; access): sets request header X-Tag: <value> (consumer-scoped configs).
//   slow        (500; access): never answers (timeouts).
//   fail        (400; access): answers a handler error.
//   node        (300; access): Fetch node_id, sets X-Node.
//   slow-log    (200; log): answers, but the reply message of its batch leaves 300 ms late.
// Configure rejects value == "reject-me".

#include <atomic>
#include <memory>
#include <mutex>
#include <set>
#include <string>

namespace grpc {
class Server;
}

namespace gateway::plugin::testing {

class TestPluginService;

class TestPluginServer {
public:
  // Listens on `address` ("unix:/path"); blocks until it accepts connections.
  explicit TestPluginServer(const std::string& address);
  ~TestPluginServer();
  void shutdown();

  // Forgets every instance (as if it restarted without gantry noticing).
  void forgetInstances();
  size_t knownInstances() const;
  uint64_t configureCalls() const;
  uint64_t batchesReceived() const;
  uint64_t eventsReceived() const;
  uint64_t cancelsReceived() const;

  // Blocks until shutdown (used by the child-process main).
  void wait();

private:
  std::unique_ptr<TestPluginService> service_;
  std::unique_ptr<grpc::Server> server_;
};

} // namespace gateway::plugin::testing
