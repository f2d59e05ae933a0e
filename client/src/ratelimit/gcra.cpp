#include "ratelimit/gcra.hpp"

#include <algorithm>

namespace pgfast::gcra {

namespace {

// floor(a / b) for b > 0 and any a.
std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return a / b - ((a % b != 0 && a < 0) ? 1 : 0);
}

}  // namespace

RateLimit checked(RateLimit limit, const std::string& what) {
  auto fail = [&](const std::string& problem) {
    throw ConfigurationError(what + ": " + problem + " in \"" + std::to_string(limit.count) + "/" +
                             std::to_string(limit.period.count()) + "ms burst " +
                             std::to_string(limit.burst) + "\"");
  };
  if (limit.count < 1 || limit.count > kMaxCount) {
    fail("count must be from 1 to " + std::to_string(kMaxCount));
  }
  if (limit.period.count() < 1 || limit.period.count() > kMaxSpanUs / 1000) {
    fail("period must be from 1 ms to " + std::to_string(kMaxSpanUs / 1000) + " ms");
  }
  if (limit.burst < 0 || limit.burst > kMaxCount) {
    fail("burst must be from 0 (= count) to " + std::to_string(kMaxCount));
  }
  limit.burst = limit.effective_burst();
  if (limit.burst > kMaxSpanUs / limit.emission_interval().count()) {
    fail("burst * period / count must not exceed " + std::to_string(kMaxSpanUs / 1000) + " ms");
  }
  return limit;
}

// The arithmetic mirrors the Lua script in rate_limiter.cpp line by line.
LimitState inspect(std::int64_t tat, std::int64_t now, std::int64_t emission_interval_us,
                   long long burst, long long cost) {
  const std::int64_t t = emission_interval_us;
  const std::int64_t capacity = burst * t;  // burst tolerance + one interval
  const std::int64_t base = std::max(tat, now);
  LimitState s;
  if (cost > burst) {
    s.allowed = false;
    s.retry_after = Decision::never;
  } else {
    const std::int64_t allow_at = base + cost * t - capacity;  // earliest time `cost` fits
    s.allowed = allow_at <= now;
    s.retry_after = std::chrono::microseconds(s.allowed ? 0 : allow_at - now);
  }
  s.remaining = std::max<std::int64_t>(0, floor_div(capacity - (base - now), t));
  s.reset_after = std::chrono::microseconds(base - now);
  return s;
}

LimitState take(std::int64_t& tat, std::int64_t now, std::int64_t emission_interval_us,
                long long burst, long long cost) {
  LimitState s = inspect(tat, now, emission_interval_us, burst, cost);
  const std::int64_t t = emission_interval_us;
  tat = std::max(tat, now) + cost * t;
  s.remaining = std::max<std::int64_t>(0, floor_div(burst * t - (tat - now), t));
  s.reset_after = std::chrono::microseconds(tat - now);
  return s;
}

void summarize(Decision& d) {
  if (d.states.empty() || !d.limits || d.limits->size() != d.states.size()) return;
  d.allowed = true;
  for (const auto& s : d.states) d.allowed = d.allowed && s.allowed;
  std::size_t pick = 0;
  for (std::size_t i = 1; i < d.states.size(); ++i) {
    const auto& a = d.states[i];
    const auto& b = d.states[pick];
    const bool better = d.allowed ? (a.remaining < b.remaining ||
                                     (a.remaining == b.remaining && a.reset_after > b.reset_after))
                                  : (a.retry_after > b.retry_after);
    if (better) pick = i;
  }
  d.deciding = pick;
  d.limit = (*d.limits)[pick].effective_burst();
  d.remaining = d.states[pick].remaining;
  d.reset_after = d.states[pick].reset_after;
  d.retry_after = d.allowed ? std::chrono::microseconds(0) : d.states[pick].retry_after;
}

Decision decide(const std::shared_ptr<const std::vector<RateLimit>>& limits,
                std::vector<std::int64_t>& tats, std::int64_t now, long long cost, Mode mode) {
  Decision d;
  d.limits = limits;
  d.now_us = now;
  const auto& ls = *limits;
  tats.resize(ls.size(), 0);
  auto interval = [&](std::size_t i) { return ls[i].emission_interval().count(); };
  if (mode == Mode::at_most) {
    // What every limit allows now (remaining is exactly the largest cost inspect allows).
    for (std::size_t i = 0; i < ls.size(); ++i) {
      cost =
          std::min(cost, inspect(tats[i], now, interval(i), ls[i].effective_burst(), 1).remaining);
    }
    if (cost < 1) cost = 1;  // nothing available: report what a single request would see
  }
  d.states.reserve(ls.size());
  bool all = true;
  for (std::size_t i = 0; i < ls.size(); ++i) {
    d.states.push_back(inspect(tats[i], now, interval(i), ls[i].effective_burst(), cost));
    all = all && d.states.back().allowed;
  }
  if (all && mode != Mode::peek) {
    for (std::size_t i = 0; i < ls.size(); ++i) {
      d.states[i] = take(tats[i], now, interval(i), ls[i].effective_burst(), cost);
    }
  }
  summarize(d);
  d.allowed_count = d.allowed ? cost : 0;
  return d;
}

}  // namespace pgfast::gcra
