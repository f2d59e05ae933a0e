// pgfast::Params: query parameters in PostgreSQL's text format (std::nullopt = SQL NULL), built
// with pgfast::params(1, "x", std::nullopt, 2.5, true). Values are converted by the to_param()
// overloads below; a type of your own becomes a parameter by declaring
// `std::optional<std::string> to_param(const MyType&)` in its namespace (found by ADL).
// Params is a plain value (copyable; thread safety as a std::vector).
#pragma once

#include <charconv>
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "pgfast/types.hpp"

namespace pgfast {

using ParamValue = std::optional<std::string>;

inline ParamValue to_param(std::nullopt_t) {
  return std::nullopt;
}
inline ParamValue to_param(std::nullptr_t) {
  return std::nullopt;
}
// PostgreSQL's boolean input accepts "true"/"false".
inline ParamValue to_param(bool value) {
  return std::string(value ? "true" : "false");
}
inline ParamValue to_param(char value) {
  return std::string(1, value);
}
inline ParamValue to_param(const char* value) {
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}
inline ParamValue to_param(std::string_view value) {
  return std::string(value);
}
inline ParamValue to_param(const std::string& value) {
  return value;
}
inline ParamValue to_param(std::string&& value) {
  return std::move(value);
}

template <class T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool> &&
                                        !std::is_same_v<T, char>,
                                    int> = 0>
ParamValue to_param(T value) {
  char buf[24];
  const auto res = std::to_chars(buf, buf + sizeof buf, value);
  return std::string(buf, res.ptr);
}

// Shortest text that reads back as the same double; infinities and NaN in PostgreSQL's spelling.
ParamValue format_double(double value);

template <class T, std::enable_if_t<std::is_floating_point_v<T>, int> = 0>
ParamValue to_param(T value) {
  return format_double(static_cast<double>(value));
}

// The types Result::as<T>() reads, written so they read back the same:
// bytea hex input ("\\x0aff"); an instant as UTC text with microseconds
// ("2024-05-01 07:00:00.123456+00", for timestamptz; finer precision is truncated); JSON text.
ParamValue to_param(const Bytes& value);
ParamValue to_param(std::chrono::system_clock::time_point value);
ParamValue to_param(Timestamp value);
ParamValue to_param(const Json& value);

template <class T>
ParamValue to_param(const std::optional<T>& value) {
  if (!value) return std::nullopt;
  return to_param(*value);
}

// A PostgreSQL array literal of text values, {"a","b"} (quotes and backslashes escaped), for a
// parameter cast to text[] (or another array type).
std::string array_literal(const std::vector<std::string>& items);

class Params {
 public:
  Params() = default;

  template <class T>
  Params& add(T&& value) {
    values_.push_back(to_param(std::forward<T>(value)));
    return *this;
  }
  Params& add_null() {
    values_.emplace_back(std::nullopt);
    return *this;
  }

  void reserve(std::size_t n) { values_.reserve(n); }
  std::size_t size() const noexcept { return values_.size(); }
  bool empty() const noexcept { return values_.empty(); }
  const ParamValue& operator[](std::size_t i) const { return values_[i]; }
  const std::vector<ParamValue>& values() const noexcept { return values_; }
  auto begin() const noexcept { return values_.begin(); }
  auto end() const noexcept { return values_.end(); }

 private:
  std::vector<ParamValue> values_;
};

template <class... Ts>
Params params(Ts&&... values) {
  Params p;
  p.reserve(sizeof...(values));
  (p.add(std::forward<Ts>(values)), ...);
  return p;
}

}  // namespace pgfast
