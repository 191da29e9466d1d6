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
  ~DeferredDeleter() { clear(); }

  // Takes ownership; `object` is destroyed at the end of the loop iteration.
  void deferDelete(DeletablePtr object) {
    if (!object) {
      return;
    }
    pending_.push_back(std::move(object));
    if (!scheduled_) {
      scheduled_ = true;
      dispatcher_.scheduleEndOfIteration([this] {
        scheduled_ = false;
        clear();
      });
    }
  }

  // Destroys everything pending now (also used by the worker's destructor).
  void clear() {
    // Destructors may defer more objects: loop until nothing is left.
    while (!pending_.empty()) {
      std::vector<DeletablePtr> batch;
      batch.swap(pending_);
      batch.clear();
    }
  }

private:
  event::Dispatcher& dispatcher_;
  std::vector<DeletablePtr> pending_;
  bool scheduled_{false};
};

} // namespace gateway::proxy
