// detail::RedisConnection: one hiredis connection (redisContext), used by one thread at a time.
// Any I/O failure (timeout, lost connection, protocol error) marks it broken: hiredis contexts
// are unusable after an error, so the pool discards it.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "pgfast/redis/redis_options.hpp"
#include "pgfast/redis/redis_reply.hpp"

struct redisContext;
struct redisReply;

namespace pgfast::detail {

// A copy of a hiredis reply (nullptr → nil).
RedisReply copy_reply(const redisReply* reply);

class RedisConnection {
 public:
  // Connects, then AUTH and SELECT as the endpoint says, and READONLY when `readonly` (a Redis
  // Cluster replica serving reads). Throws RedisTimeoutError (connect timeout) or
  // RedisConnectionRefusedError (refused, unreachable, AUTH/SELECT/READONLY failed).
  RedisConnection(const RedisEndpoint& endpoint, std::chrono::milliseconds connect_timeout,
                  std::chrono::milliseconds command_timeout, bool readonly = false);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Error replies come back as replies. On any I/O failure marks the connection broken and throws
  // RedisTimeoutError (command timeout) or RedisConnectionClosedError (anything else).
  RedisReply command(const std::vector<std::string>& argv);
  std::vector<RedisReply> pipeline(const std::vector<std::vector<std::string>>& commands);

  bool broken() const noexcept { return broken_; }
  // True when the server has closed the connection (or sent something unasked) while it sat
  // idle: one non-blocking peek, no round trip.
  bool closed_by_peer() const noexcept;

  // When the connection was last given back to the pool.
  void mark_idle() noexcept { idle_since_ = std::chrono::steady_clock::now(); }
  std::chrono::steady_clock::time_point idle_since() const noexcept { return idle_since_; }

 private:
  [[noreturn]] void fail(const std::string& doing);
  void append(const std::vector<std::string>& argv);
  RedisReply read_reply(const char* doing);

  redisContext* ctx_ = nullptr;
  std::string where_;  // "host:port" for messages
  // The read/write limit in force, for messages: the connect timeout during AUTH/SELECT, then
  // the command timeout.
  std::chrono::milliseconds timeout_;
  std::string timeout_name_;
  bool broken_ = false;
  std::chrono::steady_clock::time_point idle_since_{};
};

}  // namespace pgfast::detail
