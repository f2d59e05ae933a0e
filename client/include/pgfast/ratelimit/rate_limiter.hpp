// pgfast::RateLimiter: a distributed GCRA limiter over Redis, shared by every process that uses
// the same Redis. One Lua script (EVALSHA; reloaded on NOSCRIPT; never pipelined) reads the
// Redis server's TIME, checks every configured limit and takes the request from all of them or
// from none. State per identity: one hash `rl:<scope>:<identity>` (Redis Cluster:
// `rl:<scope>:{<identity>}`, see key()) with one field per limit, expiring when all limits are
// back to a full burst. When Redis is unreachable, the failure mode
// decides: `open` (allow), `closed` (deny) or `local` (an in-process GCRA with the same limits).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "pgfast/metrics.hpp"
#include "pgfast/ratelimit/rate_limit.hpp"
#include "pgfast/ratelimit/rate_limit_headers.hpp"
#include "pgfast/ratelimit/rate_limit_identity.hpp"
#include "pgfast/redis/redis.hpp"

namespace pgfast {

struct Settings;

namespace detail {
class RateLimiterImpl;
}
namespace testing {
struct RateLimiterAccess;
}

enum class FailureMode { open, closed, local };

// "open", "closed", "local"; throws ConfigurationError.
FailureMode parse_failure_mode(const std::string& text);
const char* to_string(FailureMode mode) noexcept;

struct RateLimiterOptions {
  std::string scope = "general";  // the key's middle part: rl:<scope>:<identity> (see key())
  // Checked all at once; at least one. Strings: parse_limits("100/minute;1000/day").
  std::vector<RateLimit> limits{RateLimit{100, std::chrono::minutes(1)}};
  FailureMode failure_mode = FailureMode::local;
  // Retry-After of a fail_closed decision.
  std::chrono::milliseconds closed_retry_after{1000};
  // After a call finds Redis unreachable, the next calls decide in the failure mode without trying
  // Redis for this long, so an outage (above all a hung server, which costs a whole command
  // timeout per try) does not add latency to every request. 0: try Redis on every call. Kept per
  // node: on a Redis Cluster only identities on the node that failed skip Redis.
  std::chrono::milliseconds redis_retry_after{0};
  bool enabled = true;  // false: every check is allowed (DecisionSource::disabled), no Redis
  std::string key_prefix = "rl:";
  // Prometheus metrics (docs/metrics.md): null = none; the `limiter` label value ("" = scope).
  std::shared_ptr<Metrics> metrics;
  std::string metrics_name;

  // The general limit: RATE_LIMIT_PER_MINUTE per minute, RATE_LIMIT_ENABLED.
  static RateLimiterOptions from_settings(const Settings& settings);
  // The reference application's endpoints: "general" (RATE_LIMIT_PER_MINUTE/minute, default
  // 100), "search" (10/minute), "scraping" (5/minute), "network" (5/hour); scope = the name;
  // enabled = RATE_LIMIT_ENABLED. Throws ConfigurationError for another name.
  static RateLimiterOptions named(const std::string& endpoint, const Settings& settings);
};

struct RateLimiterStats {
  // Decisions by who made them.
  std::uint64_t redis = 0;
  std::uint64_t local = 0;
  std::uint64_t fail_open = 0;
  std::uint64_t fail_closed = 0;
  std::uint64_t disabled = 0;
  std::uint64_t allowed = 0;
  std::uint64_t denied = 0;
  std::uint64_t redis_failures = 0;  // calls that found Redis unreachable
  std::uint64_t redis_skipped = 0;   // calls that did not try Redis (within redis_retry_after)
  std::uint64_t script_reloads = 0;  // NOSCRIPT answered by EVAL (script cache flushed/restart)
};

// A handle: cheap to copy, thread-safe; copies share one limiter (its Redis pool, local fallback
// state and stats).
class RateLimiter {
 public:
  // Uses `redis` (a handle, shared). Throws ConfigurationError for bad limits or options (in
  // Redis Cluster mode also for a key_prefix or scope containing '{' or '}').
  RateLimiter(Redis redis, RateLimiterOptions options);
  // Builds its own Redis from `redis_options`.
  RateLimiter(RateLimiterOptions options, RedisOptions redis_options);
  // RateLimiterOptions::named(endpoint, settings) over a Redis built from `settings`.
  explicit RateLimiter(const Settings& settings, const std::string& endpoint = "general");

  // Takes `cost` from every limit if each allows it, else from none. A cost above a limit's burst
  // can never pass: a denial with retry_after == Decision::never (no exception). Throws
  // UsageError for cost < 1 or an empty identity; Redis errors other than unavailability (which
  // the failure mode handles) are thrown as RedisError.
  Decision check(const std::string& identity, long long cost = 1);
  // Takes min(n, what every limit allows now) (redis_rate's AllowAtMost): allowed when that is at
  // least 1, with Decision::allowed_count = the number taken; denied (retry_after for one
  // request) when nothing is available. Atomic across all limits. UsageError for n < 1 or an
  // empty identity.
  Decision allow_at_most(const std::string& identity, long long n);
  // What check() would decide, taking nothing; `remaining` is what is left now.
  Decision peek(const std::string& identity, long long cost = 1);
  // Forgets the identity's state (in Redis and in the local fallback).
  void reset(const std::string& identity);

  // rl:<scope>:<identity>. Redis Cluster: rl:<scope>:{<identity>} with '%', '{' and '}' of the
  // identity written %25, %7B, %7D: the hash tag is the identity, so its slot is the identity's
  // own (docs/scale-out.md "Key layout").
  std::string key(const std::string& identity) const;

  // The configured limits, bursts filled in.
  const std::vector<RateLimit>& limits() const noexcept;
  const RateLimiterOptions& options() const noexcept;
  RateLimiterStats stats() const;

 private:
  friend struct testing::RateLimiterAccess;
  std::shared_ptr<detail::RateLimiterImpl> impl_;
};

}  // namespace pgfast
