#include "proxy/upstream_pool.h"

namespace gateway::proxy {

UpstreamPool::~UpstreamPool() { closeAll(); }

UpstreamConnectionPtr UpstreamPool::acquire(const upstream::Endpoint& target) {
  auto it = idle_.find(target);
  if (it == idle_.end()) {
    return nullptr;
  }
  auto& list = it->second;
  while (!list.empty()) {
    UpstreamConnectionPtr conn = std::move(list.back());
    list.pop_back();
    if (!conn->reusable()) {
      deleter_.deferDelete(std::move(conn));
      continue;
    }
    conn->setIdleOwner(nullptr);
    conn->timer().disable();
    return conn;
  }
  return nullptr;
}

void UpstreamPool::release(UpstreamConnectionPtr connection) {
  connection->setUser(nullptr);
  if (!connection->reusable() || maxIdlePerTarget_ == 0) {
    deleter_.deferDelete(std::move(connection));
    return;
  }
  auto& list = idle_[connection->endpoint()];
  if (list.size() >= maxIdlePerTarget_) {
    deleter_.deferDelete(std::move(connection));
    return;
  }
  connection->setIdleOwner(this);
  connection->decoder().resume();
  connection->stream().readDisable(false);
  connection->timer().enable(idleTimeout_);
  list.push_back(std::move(connection));
}

void UpstreamPool::closeGracefully(UpstreamConnectionPtr connection) {
  connection->setUser(nullptr);
  connection->markNotReusable();
  if (!connection->stream().isOpen()) {
    deleter_.deferDelete(std::move(connection));
    return;
  }
  connection->setIdleOwner(this);
  connection->timer().enable(idleTimeout_);  // Bounded: a peer that never reads is dropped.
  connection->stream().closeAfterWrite();
  closing_.push_back(std::move(connection));
}

void UpstreamPool::onIdleConnectionEvent(UpstreamConnection& connection) {
  for (auto c = closing_.begin(); c != closing_.end(); ++c) {
    if (c->get() == &connection) {
      connection.setIdleOwner(nullptr);
      deleter_.deferDelete(std::move(*c));
      closing_.erase(c);
      return;
    }
  }
  auto it = idle_.find(connection.endpoint());
  if (it == idle_.end()) {
    return;
  }
  auto& list = it->second;
  for (auto c = list.begin(); c != list.end(); ++c) {
    if (c->get() == &connection) {
      connection.setIdleOwner(nullptr);
      connection.markNotReusable();
      deleter_.deferDelete(std::move(*c));
      list.erase(c);
      return;
    }
  }
}

void UpstreamPool::closeAll() {
  for (auto& [endpoint, list] : idle_) {
    for (auto& c : list) {
      c->setIdleOwner(nullptr);
      deleter_.deferDelete(std::move(c));
    }
  }
  idle_.clear();
  for (auto& c : closing_) {
    c->setIdleOwner(nullptr);
    deleter_.deferDelete(std::move(c));
  }
  closing_.clear();
}

size_t UpstreamPool::idleCount() const {
  size_t n = 0;
  for (const auto& [endpoint, list] : idle_) {
    n += list.size();
  }
  return n;
}

size_t UpstreamPool::idleCountForTest(const upstream::Endpoint& target) const {
  auto it = idle_.find(target);
  return it == idle_.end() ? 0 : it->second.size();
}

} // namespace gateway::proxy
