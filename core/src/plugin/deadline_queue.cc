#include "plugin/deadline_queue.h"

namespace gateway::plugin {

DeadlineQueue::DeadlineQueue(event::Dispatcher& dispatcher,
                             std::function<void(Entry&)> onExpired)
    : dispatcher_(dispatcher), onExpired_(std::move(onExpired)),
      timer_(dispatcher.createTimer([this] { onTimer(); })) {}

void DeadlineQueue::arm(Entry& entry, std::chrono::milliseconds timeout) {
  disarm(entry);
  size_t index = 0;
  while (index < lists_.size() && lists_[index].timeout != timeout) {
    ++index;
  }
  if (index == lists_.size()) {
    lists_.push_back(List{timeout});
  }
  List& list = lists_[index];
  entry.list = index;
  entry.deadline = dispatcher_.now() + timeout;
  entry.next = nullptr;
  entry.prev = list.tail;
  if (list.tail != nullptr) {
    list.tail->next = &entry;
  } else {
    list.head = &entry;
  }
  list.tail = &entry;
  if (!inTimer_ && (!timer_->enabled() || entry.deadline < timerDeadline_)) {
    rearmTimer();
  }
}

void DeadlineQueue::disarm(Entry& entry) {
  if (entry.list == kNone) {
    return;
  }
  List& list = lists_[entry.list];
  (entry.prev != nullptr ? entry.prev->next : list.head) = entry.next;
  (entry.next != nullptr ? entry.next->prev : list.tail) = entry.prev;
  entry = Entry{};
  // The timer stays armed for a deadline that may be gone: it then finds nothing expired and
  // re-arms for the next one (cheaper than re-arming on every disarm).
}

void DeadlineQueue::onTimer() {
  inTimer_ = true;
  for (;;) {
    const event::MonotonicTime now = dispatcher_.now();
    Entry* expired = nullptr;
    for (const List& list : lists_) {
      if (list.head != nullptr && list.head->deadline <= now &&
          (expired == nullptr || list.head->deadline < expired->deadline)) {
        expired = list.head;
      }
    }
    if (expired == nullptr) {
      break;
    }
    disarm(*expired);
    onExpired_(*expired);  // May arm or disarm entries, or free `expired`.
  }
  inTimer_ = false;
  rearmTimer();
}

void DeadlineQueue::rearmTimer() {
  const Entry* earliest = nullptr;
  for (const List& list : lists_) {
    if (list.head != nullptr && (earliest == nullptr || list.head->deadline < earliest->deadline)) {
      earliest = list.head;
    }
  }
  if (earliest == nullptr) {
    timer_->disable();
    return;
  }
  timerDeadline_ = earliest->deadline;
  const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
      earliest->deadline - dispatcher_.now());
  timer_->enable(std::max(wait, std::chrono::milliseconds(0)));
}

} // namespace gateway::plugin
