#pragma once

// Objects of the proxy are often done inside their own callbacks (a socket's onClose, a decoder
// callback). They are handed to a DeferredDeleter, which destroys them at the end of the current
// loop iteration, when no frame of theirs is on the stack (Envoy's deferredDelete).

#include <functional>
#include <memory>
#include <vector>

#include "gateway/event/dispatcher.h"

namespace gateway::proxy {

class Deletable {
public:
  virtual ~Deletable() = default;
};
using DeletablePtr = std::unique_ptr<Deletable>;

class DeferredDeleter {
public:
  explicit DeferredDeleter(event::Dispatcher& dispatcher) : dispatcher_(dispatcher) {}
  ~DeferredDeleter() {
    *alive_ = false;  // A callback still scheduled on the loop becomes a no-op.
    clear();
  }

  // Takes ownership; `object` is destroyed at the end of the loop iteration.
  void deferDelete(DeletablePtr object) {
    if (!object) {
      return;
    }
    pending_.push_back(std::move(object));
    if (!scheduled_ && !clearing_) {
      scheduled_ = true;
      std::weak_ptr<bool> alive = alive_;
      dispatcher_.scheduleEndOfIteration([this, alive] {
        auto token = alive.lock();
        if (!token || !*token) {
          return;
        }
        scheduled_ = false;
        clear();
      });
    }
  }

  // Destroys everything pending now (also used by the worker's destructor).
  void clear() {
    // Destructors may defer more objects: loop until nothing is left.
    if (clearing_) {
      return;  // Called from a destructor run by clear(): the loop below picks everything up.
    }
    clearing_ = true;
    while (!pending_.empty()) {
      batch_.swap(pending_);
      batch_.clear();  // Keeps its capacity: no allocation per loop iteration.
    }
    clearing_ = false;
  }

private:
  event::Dispatcher& dispatcher_;
  std::vector<DeletablePtr> pending_;
  std::vector<DeletablePtr> batch_;  // Being destroyed by clear().
  bool scheduled_{false};
  bool clearing_{false};
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

} // namespace gateway::proxy
