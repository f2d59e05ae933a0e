// The Redis layer's exceptions. All derive from RedisError (itself a ClientError).
#pragma once

#include <string>

#include "pgfast/errors.hpp"

namespace pgfast {

class RedisError : public ClientError {
 public:
  using ClientError::ClientError;
};

// The server could not be used: connect refused or timed out, AUTH/SELECT failed, a command timed
// out, the connection was lost, or no pooled connection became free within pool_timeout. The
// connection involved (if any) has been discarded; the next call connects afresh.
class RedisUnavailableError : public RedisError {
 public:
  using RedisError::RedisError;
};

// The server answered with an error reply. code() is its first word ("ERR", "NOSCRIPT",
// "WRONGTYPE", ...); what() is the whole reply text. The connection stays usable.
class RedisReplyError : public RedisError {
 public:
  explicit RedisReplyError(const std::string& reply_text);
  const std::string& code() const noexcept { return code_; }

 private:
  std::string code_;
};

}  // namespace pgfast
