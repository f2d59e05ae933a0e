// pgfast::LocalRateLimiter: the GCRA in process memory (pgfast::gcra::decide over a map of
// theoretical arrival times), thread-safe. Internal: what RateLimiter falls back to in failure
// mode `local`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "ratelimit/gcra.hpp"
#include "pgfast/ratelimit/rate_limit.hpp"

namespace pgfast {

class LocalRateLimiter {
 public:
  explicit LocalRateLimiter(std::vector<RateLimit> limits);

  // `now_us`: microseconds on one clock for all calls (RateLimiter passes the system clock).
  Decision check(const std::string& key, long long cost, gcra::Mode mode, std::int64_t now_us);
  void reset(const std::string& key);
  // Keys with state (entries whose limits have all reset are dropped as the map grows).
  std::size_t size() const;

  const std::shared_ptr<const std::vector<RateLimit>>& limits() const noexcept { return limits_; }

 private:
  struct Entry {
    std::vector<std::int64_t> tats;
    std::int64_t idle_at = 0;  // all limits back to a full burst from this time on
  };
  void prune(std::int64_t now_us);

  std::shared_ptr<const std::vector<RateLimit>> limits_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
  std::size_t prune_at_ = 1024;
};

}  // namespace pgfast
