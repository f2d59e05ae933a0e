// Test-only access to pgfast::RateLimiter's internals (not installed; tests and benchmarks only).
#pragma once

#include <string>

namespace pgfast::testing {

struct RateLimiterAccess {
  // The GCRA Lua script the limiter runs (ARGV: cost, mode, then per limit: field, emission
  // interval µs, burst; see rate_limiter.cpp).
  static const std::string& script();
};

}  // namespace pgfast::testing
