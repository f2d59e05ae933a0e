#include "ratelimit/local_rate_limiter.hpp"

#include <algorithm>

namespace pgfast {

LocalRateLimiter::LocalRateLimiter(std::vector<RateLimit> limits)
    : limits_(std::make_shared<const std::vector<RateLimit>>(std::move(limits))) {}

Decision LocalRateLimiter::check(const std::string& key, long long cost, gcra::Mode mode,
                                 std::int64_t now_us) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    std::vector<std::int64_t> fresh(limits_->size(), 0);
    Decision d = gcra::decide(limits_, fresh, now_us, cost, mode);
    if (mode == gcra::Mode::peek || !d.allowed) return d;
    if (entries_.size() >= prune_at_) prune(now_us);
    it = entries_.emplace(key, Entry{std::move(fresh), 0}).first;
    it->second.idle_at = *std::max_element(it->second.tats.begin(), it->second.tats.end());
    return d;
  }
  Decision d = gcra::decide(limits_, it->second.tats, now_us, cost, mode);
  it->second.idle_at = *std::max_element(it->second.tats.begin(), it->second.tats.end());
  return d;
}

void LocalRateLimiter::reset(const std::string& key) {
  std::lock_guard<std::mutex> lock(mutex_);
  entries_.erase(key);
}

std::size_t LocalRateLimiter::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return entries_.size();
}

void LocalRateLimiter::prune(std::int64_t now_us) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    it = it->second.idle_at <= now_us ? entries_.erase(it) : std::next(it);
  }
  // Amortised: the next prune waits until the map has doubled from what is live.
  prune_at_ = std::max<std::size_t>(1024, entries_.size() * 2);
}

}  // namespace pgfast
