// Rate limits as values (pgfast::RateLimit), their text form, and the outcome of a rate-limit
// check (pgfast::Decision). Plain values: thread safety is that of any value type.
//
// Limit strings (case-insensitive, spaces allowed around tokens):
//   limits := limit { (";" | ",") limit }
//   limit  := COUNT ("/" | "per") [PERIODS] UNIT [ "burst" BURST ]
//   UNIT   := ms|millisecond(s) | second(s)|sec|s | minute(s)|min|m | hour(s)|h | day(s)|d
// e.g. "10/minute", "5/hour", "100/minute;1000/day", "3/second", "5 per 10 seconds", "5/100ms",
//      "10/minute burst 20". COUNT requests per PERIODS*UNIT on average; BURST (default COUNT) is
// how many may be made at once after a quiet spell. Anything else is a ConfigurationError.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "pgfast/errors.hpp"

namespace pgfast {

// `count` requests per `period`, at most `burst` at once (0: burst = count), e.g.
// RateLimit{100, std::chrono::minutes(1)} or RateLimit{5, 100ms, 10}. Checked when a limiter
// is built (ConfigurationError): count and burst up to 10^9, count >= 1, period >= 1 ms,
// burst >= 0, burst * period / count at most 10^12 ms (~31.7 years).
struct RateLimit {
  long long count = 0;
  std::chrono::milliseconds period{0};
  long long burst = 0;

  // burst, or count when burst is 0.
  long long effective_burst() const noexcept { return burst > 0 ? burst : count; }
  // Time between requests at the sustained rate: ceil(period / count) in microseconds, so the
  // limit is never exceeded by rounding.
  std::chrono::microseconds emission_interval() const;
  // Canonical text: "10/minute", "5/10 seconds", "5/100ms", "10/minute burst 20" (the burst
  // only when it differs from count). parse(to_string()) gives the same limit back.
  std::string to_string() const;

  // One limit, e.g. "100/minute"; throws ConfigurationError (prefixed with `what`). The result
  // has its burst filled in.
  static RateLimit parse(const std::string& text, const std::string& what = "rate limit");

  friend bool operator==(const RateLimit& a, const RateLimit& b) noexcept {
    return a.count == b.count && a.period == b.period && a.effective_burst() == b.effective_burst();
  }
  friend bool operator!=(const RateLimit& a, const RateLimit& b) noexcept { return !(a == b); }
};

// One or more limits separated by ';' or ',', e.g. "10/second;1000/hour"; throws
// ConfigurationError.
std::vector<RateLimit> parse_limits(const std::string& text,
                                    const std::string& what = "rate limit");

// The state of one limit for one identity after a decision (durations from "now").
struct LimitState {
  bool allowed = false;                      // this limit alone would allow the request
  long long remaining = 0;                   // requests of cost 1 still allowed right now
  std::chrono::microseconds reset_after{0};  // until the limit is back to a full burst
  std::chrono::microseconds retry_after{0};  // until this limit allows the request (0: now;
                                             // Decision::never: a cost above its burst)
};

// Who made a decision.
enum class DecisionSource {
  redis,        // the shared limiter (Lua script on the Redis server)
  local,        // Redis unreachable, failure mode `local`: the in-process GCRA
  fail_open,    // Redis unreachable, failure mode `open`: allowed without counting
  fail_closed,  // Redis unreachable, failure mode `closed`: denied
  disabled,     // the limiter is disabled (RATE_LIMIT_ENABLED=false): allowed
};

const char* to_string(DecisionSource source) noexcept;

// The outcome of a check over one or more limits. When denied, the deciding limit is the one
// that needs the longest wait; when allowed, the one with the fewest requests left. Durations
// are exact microseconds (the HTTP headers round them up to whole seconds).
struct Decision {
  // retry_after of a request that can never pass: its cost is above a limit's burst.
  static constexpr std::chrono::microseconds never = std::chrono::microseconds::max();

  bool allowed = true;
  long long allowed_count = 0;  // requests allowed: the cost (check, peek) or min(n, available)
                                // (allow_at_most); 0 when denied. peek takes nothing.
  long long limit = 0;          // the deciding limit's burst (requests allowed at once)
  long long remaining = 0;      // requests of cost 1 the deciding limit still allows now
  std::chrono::microseconds reset_after{0};  // until the deciding limit is back to a full burst
  std::chrono::microseconds retry_after{0};  // until the request would be allowed (0 if
                                             // allowed; `never` if it never can be)
  DecisionSource source = DecisionSource::redis;
  std::int64_t now_us = 0;   // the clock the decision was made on (µs since the Unix epoch):
                             // Redis TIME for DecisionSource::redis, the local clock otherwise
  std::size_t deciding = 0;  // index into limits / states
  std::vector<LimitState> states;  // one per limit, in the configured order (may be empty
                                   // for fail_open / fail_closed / disabled)
  std::shared_ptr<const std::vector<RateLimit>> limits;  // the limits checked
};

}  // namespace pgfast
