// pgfast::RedisReply: a Redis (RESP2) reply as a value, copied out of hiredis's redisReply so it
// outlives the connection it came from.
// Thread safety: a value; const access from any number of threads at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace pgfast {

class RedisReply {
 public:
  enum class Type { nil, integer, string, status, error, array };

  RedisReply() = default;  // nil
  static RedisReply make_nil() { return RedisReply(); }
  static RedisReply make_integer(long long value);
  static RedisReply make_string(std::string value);
  static RedisReply make_status(std::string value);
  static RedisReply make_error(std::string value);
  static RedisReply make_array(std::vector<RedisReply> elements);

  Type type() const noexcept { return type_; }
  bool is_nil() const noexcept { return type_ == Type::nil; }
  bool is_integer() const noexcept { return type_ == Type::integer; }
  bool is_string() const noexcept { return type_ == Type::string; }
  bool is_status() const noexcept { return type_ == Type::status; }
  bool is_error() const noexcept { return type_ == Type::error; }
  bool is_array() const noexcept { return type_ == Type::array; }

  // The following throw RedisError when the reply has another type.
  long long integer() const;
  // Bulk string, status or error text (binary safe).
  const std::string& str() const;
  const std::vector<RedisReply>& elements() const;
  std::size_t size() const { return elements().size(); }
  // OutOfRangeError when i >= size().
  const RedisReply& operator[](std::size_t i) const;

  // Throws RedisReplyError when this is an error reply; returns *this otherwise.
  const RedisReply& throw_if_error() const;

  // For messages and tests: `(nil)`, `(integer) 3`, `"text"`, `(error) ERR ...`, `[a, b]`.
  std::string debug_string() const;

  static const char* type_name(Type type) noexcept;

 private:
  Type type_ = Type::nil;
  long long integer_ = 0;
  std::string str_;
  std::vector<RedisReply> elements_;
};

}  // namespace pgfast
