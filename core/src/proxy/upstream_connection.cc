#include "proxy/upstream_connection.h"

namespace gateway::proxy {

UpstreamConnection::UpstreamConnection(event::Dispatcher& dispatcher, event::TcpStreamPtr stream,
                                       upstream::Endpoint endpoint,
                                       const http1::DecoderLimits& limits)
    : stream_(std::move(stream)), decoder_(http1::createResponseDecoder(*this, limits)),
      timer_(dispatcher.createTimer([this] {
        if (user_ != nullptr) {
          user_->onUpstreamTimer();
        } else if (idleOwner_ != nullptr) {
          idleOwner_->onIdleConnectionEvent(*this);
        }
      })),
      endpoint_(std::move(endpoint)) {
  stream_->setCallbacks(this);
}

UpstreamConnection::~UpstreamConnection() {
  stream_->setCallbacks(nullptr);
  stream_->closeNow();
}

void UpstreamConnection::onData(std::string_view data) {
  if (user_ != nullptr) {
    user_->onUpstreamData(data);
  } else if (idleOwner_ != nullptr) {
    idleOwner_->onIdleConnectionEvent(*this);
  }
}

void UpstreamConnection::onEof() {
  reusable_ = false;
  if (user_ != nullptr) {
    user_->onUpstreamEof();
  } else if (idleOwner_ != nullptr) {
    idleOwner_->onIdleConnectionEvent(*this);
  }
}

void UpstreamConnection::onClose(const Status& reason) {
  reusable_ = false;
  if (user_ != nullptr) {
    user_->onUpstreamClosed(reason);
  } else if (idleOwner_ != nullptr) {
    idleOwner_->onIdleConnectionEvent(*this);
  }
}

void UpstreamConnection::onWriteDrained() {
  if (user_ != nullptr) {
    user_->onUpstreamWriteDrained();
  }
}

void UpstreamConnection::onInformational(http::ResponseHead&& head) {
  if (user_ != nullptr) {
    user_->onInformational(std::move(head));
  }
}

void UpstreamConnection::onResponseHead(http::ResponseHead&& head) {
  if (user_ != nullptr) {
    user_->onResponseHead(std::move(head));
  }
}

void UpstreamConnection::onResponseBody(std::string_view data) {
  if (user_ != nullptr) {
    user_->onResponseBody(data);
  }
}

void UpstreamConnection::onResponseComplete() {
  if (user_ != nullptr) {
    user_->onResponseComplete();
  }
}

} // namespace gateway::proxy
