// detail::RedisNodePool: the connection pool of one Redis server. A single-node pgfast::Redis
// has one; in cluster mode there is one per node. Lazy open, LIFO reuse bounded by
// max_connections, a connection closed by the server while idle is dropped on checkout, and
// after a failed connect commands fail fast for down_backoff. Counts what RedisStats shows.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "lifo_pool.hpp"
#include "pgfast/redis/redis.hpp"
#include "redis/redis_connection.hpp"

namespace pgfast::detail {

class RedisNodePool {
 public:
  // `options`' timeouts and max_connections apply; `endpoint` says where. `readonly`: the
  // connections send READONLY (reads from a cluster replica).
  RedisNodePool(const RedisOptions& options, RedisEndpoint endpoint, bool readonly = false);
  RedisNodePool(const RedisNodePool&) = delete;
  RedisNodePool& operator=(const RedisNodePool&) = delete;

  // A connection checked out of the pool, given back (or discarded when broken) on destruction.
  // ("Lease" is the cache's stampede lock; a pool connection is a checkout.)
  class Checkout {
   public:
    Checkout(RedisNodePool& pool, std::unique_ptr<RedisConnection> conn)
        : pool_(pool), conn_(std::move(conn)) {}
    ~Checkout() { pool_.give_back(std::move(conn_)); }
    Checkout(const Checkout&) = delete;
    Checkout& operator=(const Checkout&) = delete;
    RedisConnection* operator->() { return conn_.get(); }

   private:
    RedisNodePool& pool_;
    std::unique_ptr<RedisConnection> conn_;
  };

  // Throws RedisTimeoutError (pool timeout, connect timeout), RedisConnectionRefusedError, or
  // RedisError when the pool is closed.
  Checkout checkout();

  // One command or pipeline; error replies are returned, not thrown. Counts commands and round
  // trips; RedisUnavailableError (counted) when the server cannot be used.
  RedisReply command(const std::vector<std::string>& argv);
  std::vector<RedisReply> pipeline(const std::vector<std::vector<std::string>>& commands);
  // ASKING then argv on one connection, in one round trip: argv's reply.
  RedisReply asking(const std::vector<std::string>& argv);

  void close() noexcept;
  void close_idle() noexcept;
  // Within down_backoff of a failed connect: commands fail fast.
  bool down() const;

  // Pool gauges and counters; command_errors is the caller's (error replies are not errors here).
  RedisStats stats() const;
  // "host:port" (IPv6 in brackets).
  const std::string& name() const noexcept { return name_; }
  const RedisEndpoint& endpoint() const noexcept { return endpoint_; }
  void count_unavailable() noexcept { unavailable_.fetch_add(1, std::memory_order_relaxed); }

 private:
  void give_back(std::unique_ptr<RedisConnection> conn) noexcept;
  void throw_if_down();
  std::unique_ptr<RedisConnection> open();

  const RedisOptions options_;
  const RedisEndpoint endpoint_;
  const bool readonly_;
  const std::string name_;
  LifoPool<RedisConnection> slots_;
  mutable std::mutex down_mutex_;  // guards the last connect failure (locked inside slots_'s lock)
  std::chrono::steady_clock::time_point down_until_{};
  std::string last_connect_error_;
  bool last_connect_timed_out_ = false;  // which error the down_backoff fast failure repeats
  std::atomic<std::uint64_t> created_{0};
  std::atomic<std::uint64_t> discarded_{0};
  std::atomic<std::uint64_t> connect_failures_{0};
  std::atomic<std::uint64_t> commands_{0};
  std::atomic<std::uint64_t> round_trips_{0};
  std::atomic<std::uint64_t> unavailable_{0};
};

// "host:port" for messages; an IPv6 host in brackets.
std::string endpoint_name(const RedisEndpoint& endpoint);

}  // namespace pgfast::detail
