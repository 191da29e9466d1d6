#include "server/status_server.h"

#include <nlohmann/json.hpp>

namespace gateway::server {

namespace {
constexpr size_t kMaxHeadBytes = 8192;
constexpr std::chrono::milliseconds kIdleTimeout{10000};

const char* reason(int status) {
  switch (status) {
  case 200: return "OK";
  case 400: return "Bad Request";
  case 404: return "Not Found";
  case 405: return "Method Not Allowed";
  case 431: return "Request Header Fields Too Large";
  default: return "Error";
  }
}

std::string response(int status, const std::string& body) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + reason(status) + "\r\n";
  out += "Content-Type: application/json\r\n";
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  out += "Connection: close\r\n\r\n";
  out += body;
  return out;
}

std::string messageBody(int status) {
  return nlohmann::json{{"message", reason(status)}}.dump();
}

} // namespace

class StatusServer::Connection : public event::StreamCallbacks {
public:
  Connection(StatusServer& owner, event::TcpStreamPtr stream)
      : owner_(owner), stream_(std::move(stream)) {
    stream_->setCallbacks(this);
    timer_ = owner_.dispatcher_.createTimer([this] { owner_.remove(this); });
    timer_->enable(kIdleTimeout);
  }
  ~Connection() override {
    *alive_ = false;
    if (stream_ != nullptr) {
      stream_->setCallbacks(nullptr);
      stream_->closeNow();
    }
  }

  void onData(std::string_view data) override {
    if (answered_) {
      return;
    }
    head_.append(data);
    const size_t end = head_.find("\r\n\r\n");
    if (end == std::string::npos) {
      if (head_.size() > kMaxHeadBytes) {
        reply(431, messageBody(431));
      }
      return;
    }
    std::string_view method, target;
    if (!parseRequestLine(head_, method, target)) {
      reply(400, messageBody(400));
      return;
    }
    Answer answer = route(method, target);
    if (!answer.needsConnections) {
      reply(answer.status, messageBody(answer.status));
      return;
    }
    answered_ = true;
    stream_->readDisable(true);
    owner_.sources_.activeConnections(
        [this, alive = alive_, ownerAlive = owner_.alive_](size_t connections) {
          if (!*ownerAlive || !*alive) {
            return;
          }
          const auto& s = owner_.sources_;
          send(200, render(connections, s.workers ? s.workers() : 0,
                           s.pluginCounters ? s.pluginCounters() : "{}",
                           s.generation ? s.generation() : 0));
        });
  }
  void onEof() override {
    if (!answered_) {
      owner_.remove(this);
    }
  }
  void onClose(const Status&) override { owner_.remove(this); }
  void onWriteDrained() override {}

private:
  void reply(int status, const std::string& body) {
    answered_ = true;
    stream_->readDisable(true);
    send(status, body);
  }
  void send(int status, const std::string& body) {
    stream_->write(response(status, body));
    stream_->closeAfterWrite();  // onClose follows.
  }

  StatusServer& owner_;
  event::TcpStreamPtr stream_;
  event::TimerPtr timer_;
  std::string head_;
  bool answered_{false};
  std::shared_ptr<bool> alive_{std::make_shared<bool>(true)};
};

StatusServer::StatusServer(event::Dispatcher& dispatcher, Sources sources)
    : dispatcher_(dispatcher), sources_(std::move(sources)),
      alive_(std::make_shared<bool>(true)) {}

StatusServer::~StatusServer() {
  *alive_ = false;
  listener_.reset();
  connections_.clear();
}

StatusOr<std::unique_ptr<StatusServer>> StatusServer::start(event::Dispatcher& dispatcher,
                                                            const config::ListenAddress& address,
                                                            Sources sources) {
  std::unique_ptr<StatusServer> server(new StatusServer(dispatcher, std::move(sources)));
  StatusServer* self = server.get();
  auto listener = dispatcher.listenTcp(address.host, address.port, 64,
                                       [self](event::TcpStreamPtr s) { self->onAccept(std::move(s)); });
  if (!listener.isOk()) {
    return listener.status();
  }
  server->listener_ = std::move(listener.value());
  return server;
}

uint16_t StatusServer::port() const { return listener_ != nullptr ? listener_->port() : 0; }

void StatusServer::onAccept(event::TcpStreamPtr stream) {
  auto connection = std::make_unique<Connection>(*this, std::move(stream));
  Connection* key = connection.get();
  connections_.emplace(key, std::move(connection));
}

void StatusServer::remove(Connection* connection) {
  // Deferred: the connection may be inside one of its own callbacks.
  auto it = connections_.find(connection);
  if (it == connections_.end()) {
    return;
  }
  std::shared_ptr<Connection> doomed(std::move(it->second));
  connections_.erase(it);
  dispatcher_.post([doomed] {});
}

StatusServer::Answer StatusServer::route(std::string_view method, std::string_view target) {
  std::string_view path = target.substr(0, target.find('?'));
  if (path != "/status") {
    return Answer{404, false};
  }
  if (method != "GET") {
    return Answer{405, false};
  }
  return Answer{200, true};
}

std::string StatusServer::render(size_t connections, size_t workers, const std::string& plugins,
                                 uint64_t generation) {
  nlohmann::json body;
  body["server"] = {{"connections_active", connections}, {"workers", workers}};
  nlohmann::json parsed = nlohmann::json::parse(plugins, nullptr, false);
  body["plugins"] = parsed.is_discarded() ? nlohmann::json::object() : parsed;
  body["configuration_generation"] = generation;
  return body.dump();
}

bool StatusServer::parseRequestLine(std::string_view head, std::string_view& method,
                                    std::string_view& target) {
  const size_t eol = head.find("\r\n");
  std::string_view line = head.substr(0, eol);
  const size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos || sp1 == 0) {
    return false;
  }
  const size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || sp2 == sp1 + 1) {
    return false;
  }
  method = line.substr(0, sp1);
  target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  return version.rfind("HTTP/1.", 0) == 0 && !target.empty();
}

} // namespace gateway::server
