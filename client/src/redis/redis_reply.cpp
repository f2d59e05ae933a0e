#include "pgfast/redis/redis_reply.hpp"

#include <utility>

#include "pgfast/errors.hpp"

namespace pgfast {

RedisReply RedisReply::make_integer(long long value) {
  RedisReply r;
  r.type_ = Type::integer;
  r.integer_ = value;
  return r;
}

RedisReply RedisReply::make_string(std::string value) {
  RedisReply r;
  r.type_ = Type::string;
  r.str_ = std::move(value);
  return r;
}

RedisReply RedisReply::make_status(std::string value) {
  RedisReply r = make_string(std::move(value));
  r.type_ = Type::status;
  return r;
}

RedisReply RedisReply::make_error(std::string value) {
  RedisReply r = make_string(std::move(value));
  r.type_ = Type::error;
  return r;
}

RedisReply RedisReply::make_array(std::vector<RedisReply> elements) {
  RedisReply r;
  r.type_ = Type::array;
  r.elements_ = std::move(elements);
  return r;
}

const char* RedisReply::type_name(Type type) noexcept {
  switch (type) {
    case Type::nil:
      return "nil";
    case Type::integer:
      return "integer";
    case Type::string:
      return "string";
    case Type::status:
      return "status";
    case Type::error:
      return "error";
    case Type::array:
      return "array";
  }
  return "unknown";
}

namespace {
[[noreturn]] void wrong_type(const RedisReply& r, const char* wanted) {
  throw RedisError(std::string("Redis reply: expected ") + wanted + ", got " + r.debug_string());
}
}  // namespace

long long RedisReply::integer() const {
  if (type_ != Type::integer) wrong_type(*this, "an integer");
  return integer_;
}

const std::string& RedisReply::str() const {
  if (type_ != Type::string && type_ != Type::status && type_ != Type::error) {
    wrong_type(*this, "a string");
  }
  return str_;
}

const std::vector<RedisReply>& RedisReply::elements() const {
  if (type_ != Type::array) wrong_type(*this, "an array");
  return elements_;
}

const RedisReply& RedisReply::operator[](std::size_t i) const {
  const std::vector<RedisReply>& all = elements();
  if (i >= all.size()) {
    throw OutOfRangeError("RedisReply: element " + std::to_string(i) + " of an array of " +
                          std::to_string(all.size()));
  }
  return all[i];
}

const RedisReply& RedisReply::throw_if_error() const {
  if (type_ == Type::error) throw RedisReplyError(str_);
  return *this;
}

std::string RedisReply::debug_string() const {
  switch (type_) {
    case Type::nil:
      return "(nil)";
    case Type::integer:
      return "(integer) " + std::to_string(integer_);
    case Type::string:
      return "\"" + (str_.size() > 64 ? str_.substr(0, 64) + "..." : str_) + "\"";
    case Type::status:
      return str_;
    case Type::error:
      return "(error) " + str_;
    case Type::array: {
      std::string out = "[";
      for (std::size_t i = 0; i < elements_.size(); ++i) {
        if (i > 0) out += ", ";
        out += elements_[i].debug_string();
      }
      return out + "]";
    }
  }
  return "?";
}

}  // namespace pgfast
