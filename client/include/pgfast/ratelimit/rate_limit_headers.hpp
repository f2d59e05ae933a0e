// HTTP response headers for a rate-limit Decision. Pure functions of values: thread-safe.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "pgfast/ratelimit/rate_limit.hpp"

namespace pgfast {

struct RateLimitHeaderOptions {
  // X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset (and Retry-After when denied).
  bool x_ratelimit = true;
  // X-RateLimit-Reset as a Unix time in seconds (slowapi's form, computed on the decision's clock)
  // instead of seconds from now.
  bool reset_as_unix_time = false;
  // The IETF pair (draft-ietf-httpapi-ratelimit-headers): RateLimit-Policy lists every limit as
  // `"<limit>";q=<count>;w=<window seconds>`, RateLimit gives the deciding one as
  // `"<limit>";r=<remaining>;t=<seconds to reset>`. A period that is not whole seconds is
  // stated over the next whole number of seconds: "5/100ms" is q=50;w=1.
  bool ietf = false;
};

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// Seconds are rounded up; Retry-After (denied decisions only) is at least 1, and absent when the
// request can never pass (retry_after == Decision::never: its cost is above a burst; answer e.g.
// 413 rather than 429). A disabled limiter's decisions get no headers; fail-open decisions report
// the limit with nothing used.
HttpHeaders headers(const Decision& decision, const RateLimitHeaderOptions& options = {});

}  // namespace pgfast
