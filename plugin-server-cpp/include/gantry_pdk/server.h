#pragma once

// Serving plugins to gantry (docs/PROTOCOL.md): the gRPC plugin server.
//
//   int main(int argc, char** argv) { return gantry_pdk::serve(argc, argv); }
//
// serve() listens where gantry said (GANTRY_PLUGIN_SOCKET) or where `--listen unix:/path` /
// `--listen host:port` says (sidecars), prints the READY line, serves until the Shutdown RPC,
// SIGTERM or SIGINT, then finishes in-flight calls and exits 0. Other flags: `--workers N`
// (handler threads; default 2 x cores, at least 4), `--dump` (print the plugins' info as JSON and
// exit), `--help`.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gantry_pdk/plugin.h"

namespace gantry_pdk {

struct ServerOptions {
  // "unix:/abs/path" or "host:port" ("127.0.0.1:0" picks a free port).
  std::string listen;
  // Handler threads; 0 = default (2 x cores, at least 4).
  unsigned workers = 0;
  // Reported in GetInfoResponse.server_name.
  std::string serverName = "gantry-cpp-plugin-server";
};

// A plugin server that can also run inside a test process. Thread-safe.
class Server {
public:
  Server(ServerOptions options, std::vector<PluginDescriptor> plugins);
  ~Server();  // Stops immediately if still running.
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts serving; returns the bound address in READY-line form, e.g.
  // "unix|/tmp/x.sock" or "tcp|127.0.0.1:41234". Throws std::runtime_error if it cannot listen.
  std::string start();
  // Blocks until the Shutdown RPC arrives or requestShutdown() is called; returns the grace
  // period asked for.
  std::chrono::milliseconds waitForShutdownRequest();
  void requestShutdown(std::chrono::milliseconds grace);
  // Graceful stop: lets calls in flight finish (up to `grace`), sends their replies, ends the
  // streams and stops gRPC. Idempotent.
  void stop(std::chrono::milliseconds grace);

  struct Stats {
    uint64_t phaseCalls = 0;
    uint64_t replies = 0;
    uint64_t replyBatches = 0;
    uint64_t fetches = 0;
    uint64_t cancels = 0;
  };
  Stats stats() const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Runs the plugins registered with GANTRY_PLUGIN; returns the process exit code.
int serve(int argc, char** argv);

}  // namespace gantry_pdk
