// The GCRA (generic cell rate algorithm) as pure C++: the decision arithmetic of
// pgfast::RateLimiter. The Redis Lua script in rate_limiter.cpp does the same arithmetic on the
// server; the in-process fallback (LocalRateLimiter) and the tests use this one. Internal.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "pgfast/ratelimit/rate_limit.hpp"

namespace pgfast::gcra {

// How a decision takes from the limits.
enum class Mode {
  peek,            // takes nothing: what `all_or_nothing` would decide
  all_or_nothing,  // takes `cost` from every limit if each allows it, else nothing
  at_most,         // takes min(cost, what every limit allows now), denied only when that is 0
};

// `limit` with its burst filled in, after checking the arithmetic can use it (count >= 1,
// period >= 1 ms, burst >= 0, burst * emission interval <= kMaxSpanUs); else ConfigurationError
// naming `what`.
RateLimit checked(RateLimit limit, const std::string& what);
constexpr long long kMaxCount = 1000000000LL;          // count and burst
constexpr std::int64_t kMaxSpanUs = 1000000000000000;  // ~31.7 years, exact in a Lua double

// The GCRA for one limit. `tat` is the stored theoretical arrival time (0 = never used); `now`
// and tat in microseconds on one clock. The state without taking anything (what a cost-`cost`
// request would see); retry_after is Decision::never when cost > burst.
LimitState inspect(std::int64_t tat, std::int64_t now, std::int64_t emission_interval_us,
                   long long burst, long long cost);

// Takes `cost` (which the limit must allow, see inspect) and returns the state after it; `tat`
// is updated.
LimitState take(std::int64_t& tat, std::int64_t now, std::int64_t emission_interval_us,
                long long burst, long long cost);

// Every limit at once (see Mode). `tats` has one entry per limit (resized to fit) and is updated
// when something is taken.
Decision decide(const std::shared_ptr<const std::vector<RateLimit>>& limits,
                std::vector<std::int64_t>& tats, std::int64_t now, long long cost, Mode mode);

// Fills allowed/limit/remaining/reset_after/retry_after/deciding from d.states and *d.limits.
void summarize(Decision& d);

}  // namespace pgfast::gcra
