#include "pgfast/rate_limit_headers.hpp"

#include <algorithm>

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
      policy += sf_string(l.text) + ";q=" + std::to_string(l.count) +
                ";w=" + std::to_string(ceil_seconds(l.period));
    }
    h.emplace_back("RateLimit-Policy", policy);
    const auto& deciding = (*d.limits)[std::min(d.deciding, d.limits->size() - 1)];
    h.emplace_back("RateLimit", sf_string(deciding.text) + ";r=" + std::to_string(d.remaining) +
                                    ";t=" + std::to_string(reset_s));
  }
  if (!d.allowed) {
    h.emplace_back("Retry-After",
                   std::to_string(std::max<long long>(1, ceil_seconds(d.retry_after))));
  }
  return h;
}

}  // namespace pgfast
