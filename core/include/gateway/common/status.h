#pragma once

// A small status type for every fallible boundary on the data path (no exceptions there).
// Ok statuses carry no message; errors carry a code and a human-readable message.

#include <string>
#include <utility>
#include <variant>

namespace gateway {

enum class StatusCode {
  Ok,
  InvalidArgument,  // Bad input: a config value, a malformed message from a peer.
  NotFound,
  Unavailable,      // A peer (upstream, plugin server) cannot be reached right now.
  DeadlineExceeded,
  ResourceExhausted,
  Internal,
};

class Status {
public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok() { return {}; }
  bool isOk() const { return code_ == StatusCode::Ok; }
  explicit operator bool() const { return isOk(); }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

private:
  StatusCode code_{StatusCode::Ok};
  std::string message_;
};

inline Status invalidArgument(std::string m) { return {StatusCode::InvalidArgument, std::move(m)}; }
inline Status internalError(std::string m) { return {StatusCode::Internal, std::move(m)}; }
inline Status unavailable(std::string m) { return {StatusCode::Unavailable, std::move(m)}; }

// A value or an error status.
template <typename T> class StatusOr {
public:
  StatusOr(T value) : v_(std::move(value)) {}
  StatusOr(Status status) : v_(std::move(status)) {}
  bool isOk() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return isOk(); }
  const Status& status() const {
    static const Status kOk;
    return isOk() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &std::get<T>(v_); }
  const T* operator->() const { return &std::get<T>(v_); }
  T& operator*() { return value(); }

private:
  std::variant<T, Status> v_;
};

} // namespace gateway
