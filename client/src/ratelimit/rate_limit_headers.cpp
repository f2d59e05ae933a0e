#include "pgfast/ratelimit/rate_limit_headers.hpp"

#include <algorithm>
#include <cmath>

namespace pgfast {

namespace {

long long ceil_seconds(std::chrono::microseconds d) {
  const long long us = std::max<long long>(0, d.count());
  return (us + 999999) / 1000000;
}

std::string sf_string(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// The policy's quota over a whole number of seconds: q requests per w seconds.
std::string policy_item(const RateLimit& l) {
  const long long period_ms = l.period.count();
  const long long window_s = (period_ms + 999) / 1000;
  const long long quota =
      period_ms % 1000 == 0 ? l.count
                            : static_cast<long long>(std::floor(static_cast<long double>(l.count) *
                                                                window_s * 1000 / period_ms));
  return sf_string(l.to_string()) + ";q=" + std::to_string(quota) +
         ";w=" + std::to_string(window_s);
}

}  // namespace

HttpHeaders headers(const Decision& d, const RateLimitHeaderOptions& options) {
  HttpHeaders h;
  if (d.source == DecisionSource::disabled) return h;
  const long long reset_s = ceil_seconds(d.reset_after);
  if (options.x_ratelimit) {
    h.emplace_back("X-RateLimit-Limit", std::to_string(d.limit));
    h.emplace_back("X-RateLimit-Remaining", std::to_string(d.remaining));
    const long long reset =
        options.reset_as_unix_time
            ? (d.now_us + std::max<long long>(0, d.reset_after.count()) + 999999) / 1000000
            : reset_s;
    h.emplace_back("X-RateLimit-Reset", std::to_string(reset));
  }
  if (options.ietf && d.limits && !d.limits->empty()) {
    std::string policy;
    for (const auto& l : *d.limits) {
      if (!policy.empty()) policy += ", ";
      policy += policy_item(l);
    }
    h.emplace_back("RateLimit-Policy", policy);
    const auto& deciding = (*d.limits)[std::min(d.deciding, d.limits->size() - 1)];
    h.emplace_back("RateLimit", sf_string(deciding.to_string()) + ";r=" +
                                    std::to_string(d.remaining) + ";t=" + std::to_string(reset_s));
  }
  if (!d.allowed && d.retry_after != Decision::never) {
    h.emplace_back("Retry-After",
                   std::to_string(std::max<long long>(1, ceil_seconds(d.retry_after))));
  }
  return h;
}

}  // namespace pgfast
