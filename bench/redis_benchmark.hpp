// redis-benchmark, the Redis baseline of the cache and limiter benchmarks in bench/: running it
// (or any shell command), reading its -q figures, the arguments that make its EVALSHA run the
// rate limiter's GCRA script exactly as RateLimiter::check does, and that limiter's options.
#pragma once

#include <cstdio>
#include <stdexcept>
#include <string>

#include "pgfast/ratelimit/rate_limit.hpp"
#include "pgfast/ratelimit/rate_limiter.hpp"

namespace pgfast_bench {

// Runs a shell command, returns its standard output; std::runtime_error when it fails.
inline std::string run(const std::string& command) {
  FILE* p = ::popen(command.c_str(), "r");
  if (p == nullptr) throw std::runtime_error("popen failed: " + command);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  if (::pclose(p) != 0) throw std::runtime_error("failed: " + command + "\n" + out);
  return out;
}

// redis-benchmark -q prints "<test>: <rps> requests per second, ..." (after \r progress lines).
inline double requests_per_second(const std::string& output) {
  const auto at = output.rfind(" requests per second");
  if (at == std::string::npos) throw std::runtime_error("unexpected output:\n" + output);
  const auto start = output.rfind(' ', at - 1);
  return std::stod(output.substr(start + 1, at - start - 1));
}

// The ARGV of one RateLimiter::check (cost 1, all-or-nothing) under the single limit `l`: cost,
// mode, then the limit's hash field, emission interval (µs) and burst (rate_limiter.cpp).
inline std::string gcra_check_args(const pgfast::RateLimit& l) {
  const std::string e = std::to_string(l.emission_interval().count());
  const std::string b = std::to_string(l.effective_burst());
  return "1 1 " + e + ":" + b + " " + e + " " + b;
}

// The limiter the limiter benchmarks measure: scope "bench", one limit that allows every request
// (so each decision takes the script's write path, HSET + PEXPIRE), failing closed.
constexpr char kBenchLimit[] = "1000000/second burst 1000000";
inline pgfast::RateLimiterOptions bench_limiter_options() {
  pgfast::RateLimiterOptions o;
  o.scope = "bench";
  o.limits = pgfast::parse_limits(kBenchLimit);
  o.failure_mode = pgfast::FailureMode::closed;
  return o;
}

}  // namespace pgfast_bench
