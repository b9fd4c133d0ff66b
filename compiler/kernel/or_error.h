// The result of every fallible step in the kernel library: a value, or a
// message saying what failed and on which file, ready to show to the user.
// mstap's stages report errors as values, never as exceptions.
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace mstap::kernel {

template <class T>
class OrError {
public:
  OrError(T value) : value_(std::move(value)) {}
  static OrError failure(std::string message) {
    OrError result;
    result.error_ = std::move(message);
    return result;
  }

  bool ok() const { return value_.has_value(); }
  explicit operator bool() const { return ok(); }
  const std::string &error() const { return error_; }

  T &operator*() { return *value_; }
  const T &operator*() const { return *value_; }
  T *operator->() { return &*value_; }
  const T *operator->() const { return &*value_; }
  // Moves the value out; only after ok() was checked.
  T take() { return std::move(*value_); }

private:
  OrError() = default;
  std::optional<T> value_;
  std::string error_;
};

// For steps that produce nothing but can fail: an empty message means success.
struct Status {
  std::string error;
  bool ok() const { return error.empty(); }
  static Status success() { return {}; }
  static Status failure(std::string message) { return {std::move(message)}; }
};

} // namespace mstap::kernel
