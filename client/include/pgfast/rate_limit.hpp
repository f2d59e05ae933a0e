// Rate limits and the GCRA (generic cell rate algorithm), as pure C++: parsing of limit strings
// and the decision arithmetic. The Redis Lua script in rate_limiter.cpp does the same arithmetic
// on the server; the in-process fallback limiter uses this one.
//
// Limit strings (case-insensitive, spaces allowed around tokens):
//   limits := limit { (";" | ",") limit }
//   limit  := COUNT ("/" | "per") [PERIODS] UNIT [ "burst" BURST ]
//   UNIT   := second|seconds|sec|s | minute|minutes|min|m | hour|hours|h | day|days|d
// e.g. "10/minute", "5/hour", "100/minute;1000/day", "3/second", "5 per 10 seconds",
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

// A rate-limiter call with arguments that cannot be used (a cost < 1 or above a burst, a client
// address that is not an IP address, an empty identity).
class RateLimitArgumentError : public ClientError {
 public:
  using ClientError::ClientError;
};

struct RateLimit {
  long long count = 0;                 // requests ...
  std::chrono::microseconds period{};  // ... per period
  long long burst = 0;                 // at most this many at once (default: count)
  std::string text;                    // canonical form, e.g. "10/minute" or "5/10 seconds burst 8"

  // Time between requests at the sustained rate: ceil(period / count), so the limit is never
  // exceeded by rounding.
  std::chrono::microseconds emission_interval() const;

  // One limit; throws ConfigurationError (prefixed with `what`).
  static RateLimit parse_one(const std::string& text, const std::string& what = "rate limit");
  // One or more limits separated by ';' or ','; throws ConfigurationError.
  static std::vector<RateLimit> parse(const std::string& text,
                                      const std::string& what = "rate limit");
};

// The state of one limit for one identity after a decision (durations from "now").
struct LimitState {
  bool allowed = false;                      // this limit alone would allow the request
  long long remaining = 0;                   // requests of cost 1 still allowed right now
  std::chrono::microseconds reset_after{0};  // until the limit is back to a full burst
  std::chrono::microseconds retry_after{0};  // until this limit allows the request (0: now)
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
// that needs the longest wait; when allowed, the one with the fewest requests left.
struct Decision {
  bool allowed = true;
  long long limit = 0;      // the deciding limit's burst (requests allowed at once)
  long long remaining = 0;  // requests of cost 1 the deciding limit still allows now
  std::chrono::microseconds reset_after{0};  // until the deciding limit is back to a full burst
  std::chrono::microseconds retry_after{0};  // until the request would be allowed (0 if allowed)
  DecisionSource source = DecisionSource::redis;
  std::int64_t now_us = 0;   // the clock the decision was made on (µs since the Unix epoch):
                             // Redis TIME for DecisionSource::redis, the local clock otherwise
  std::size_t deciding = 0;  // index into limits / states
  std::vector<LimitState> states;  // one per limit, in the configured order (may be empty
                                   // for fail_open / fail_closed / disabled)
  std::shared_ptr<const std::vector<RateLimit>> limits;  // the limits checked
};

// Fills allowed/limit/remaining/reset_after/retry_after/deciding from d.states and *d.limits.
void summarize(Decision& d);

namespace gcra {

// The GCRA for one limit. `tat` is the stored theoretical arrival time (0 = never used); `now`
// and tat in microseconds on one clock. Returns the state, and in `new_tat` the value to store
// if the request is taken (tat unchanged when this limit denies).
LimitState evaluate(std::int64_t tat, std::int64_t now, std::int64_t emission_interval_us,
                    long long burst, long long cost, std::int64_t& new_tat);

// The state without taking anything (what a cost-`cost` request would see), for peek and for
// reporting limits when another limit denied.
LimitState inspect(std::int64_t tat, std::int64_t now, std::int64_t emission_interval_us,
                   long long burst, long long cost);

// Every limit at once, all or nothing: when each limit allows `cost`, all of them take it
// (`tats` updated when `consume`); otherwise none does. `tats` has one entry per limit.
Decision decide(const std::shared_ptr<const std::vector<RateLimit>>& limits,
                std::vector<std::int64_t>& tats, std::int64_t now, long long cost, bool consume);

}  // namespace gcra

}  // namespace pgfast
