// pgfast::RedisScript: a Lua script run with EVALSHA, whatever happened to the server's script
// cache. Redis's script cache is volatile (lost on restart, failover, SCRIPT FLUSH): on NOSCRIPT
// the call is repeated once with EVAL, which runs the script and caches it again. The SHA comes
// from SCRIPT LOAD on first use and is then read without a lock. Never use it in a pipeline: a
// NOSCRIPT there could not be retried cleanly.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "pgfast/redis/redis.hpp"

namespace pgfast {

class RedisScript {
 public:
  explicit RedisScript(std::string source);
  RedisScript(const RedisScript&) = delete;
  RedisScript& operator=(const RedisScript&) = delete;

  // EVALSHA sha numkeys keys... args...; thread-safe. Throws like Redis::command (an error raised
  // by the script is a RedisReplyError). `reloaded` (optional) tells whether this call had to
  // fall back to EVAL.
  RedisReply run(Redis& redis, const std::vector<std::string>& keys,
                 const std::vector<std::string>& args, bool* reloaded = nullptr) const;

  // One call per (keys, args) in one Redis::pipeline (in cluster mode one per node, each call
  // routed by its keys): for calls that do not depend on each other's order, e.g. one per slot.
  // A call answered NOSCRIPT (a node that has not seen the script) is repeated with EVAL on its
  // own. Replies in order; error replies are returned, not thrown (as Redis::pipeline).
  struct Call {
    std::vector<std::string> keys;
    std::vector<std::string> args;
  };
  std::vector<RedisReply> run_each(Redis& redis, const std::vector<Call>& calls) const;

  const std::string& source() const noexcept { return source_; }
  // The SHA-1 once known (empty before the first run).
  std::string sha() const;
  // How many times NOSCRIPT was answered by EVAL.
  std::uint64_t reloads() const noexcept { return reloads_.load(std::memory_order_relaxed); }

 private:
  const std::string& loaded_sha(Redis& redis) const;

  const std::string source_;
  mutable std::mutex mutex_;
  mutable std::string sha_;
  mutable std::atomic<bool> sha_known_{false};
  mutable std::atomic<std::uint64_t> reloads_{0};
};

}  // namespace pgfast
