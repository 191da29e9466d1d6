#pragma once

// The status endpoint (gantry.status_listen): a tiny HTTP/1.1 listener on the main dispatcher.
//   GET /status  -> 200 application/json
//     {"server": {"connections_active": N, "workers": N},
//      "plugins": <PluginManager::countersJson()>,
//      "configuration_generation": N}
//   anything else -> 404 {"message":"Not found"} (405 for another method on /status).
// One request per connection (the answer carries Connection: close); heads over 8 KiB get 431,
// connections idle for 10 s are closed. Meant for operators and tests, not for load.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "gateway/common/status.h"
#include "gateway/config/model.h"
#include "gateway/event/dispatcher.h"

namespace gateway::server {

class StatusServer {
public:
  // Where the numbers come from; all called on the main dispatcher's thread.
  struct Sources {
    std::function<std::string()> pluginCounters;  // A JSON object text.
    std::function<uint64_t()> generation;
    // Calls `done` (on the main thread, possibly later) with the open client connections.
    std::function<void(std::function<void(size_t)> done)> activeConnections;
    std::function<size_t()> workers;
  };

  static StatusOr<std::unique_ptr<StatusServer>> start(event::Dispatcher& dispatcher,
                                                        const config::ListenAddress& address,
                                                        Sources sources);
  // Closes the listener and every connection; no callback of `sources` runs afterwards.
  ~StatusServer();

  uint16_t port() const;

  // The response for a request head (exposed for unit tests): status code and body.
  struct Answer {
    int status{404};
    bool needsConnections{false};  // /status: the body is built by render().
  };
  static Answer route(std::string_view method, std::string_view target);
  static std::string render(size_t connections, size_t workers, const std::string& plugins,
                            uint64_t generation);
  // Parses "METHOD TARGET HTTP/1.x" from the first line of `head`; false if malformed.
  static bool parseRequestLine(std::string_view head, std::string_view& method,
                               std::string_view& target);

private:
  class Connection;
  StatusServer(event::Dispatcher& dispatcher, Sources sources);
  void onAccept(event::TcpStreamPtr stream);
  void remove(Connection* connection);

  event::Dispatcher& dispatcher_;
  Sources sources_;
  event::ListenerPtr listener_;
  std::map<Connection*, std::unique_ptr<Connection>> connections_;
  std::shared_ptr<bool> alive_;
};

} // namespace gateway::server
