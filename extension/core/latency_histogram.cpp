#include "core/latency_histogram.hpp"

#include <cmath>
#include <limits>

namespace pgfast {

int LatencyHistogram::bucket_for(double ms) {
  if (!(ms >= kMinMs)) return 0;  // also NaN
  double index = std::floor(std::log2(ms / kMinMs) * kBucketsPerDoubling) + 1;
  if (index >= kBuckets - 1) return kBuckets - 1;
  return static_cast<int>(index);
}

double LatencyHistogram::lower_bound(int b) {
  if (b <= 0) return 0;
  return kMinMs * std::exp2(static_cast<double>(b - 1) / kBucketsPerDoubling);
}

double LatencyHistogram::upper_bound(int b) {
  if (b >= kBuckets - 1) return std::numeric_limits<double>::infinity();
  return kMinMs * std::exp2(static_cast<double>(b) / kBucketsPerDoubling);
}

void LatencyHistogram::clear() {
  for (auto& c : counts) c = 0;
  total = 0;
  min_ms = 0;
  max_ms = 0;
}

void LatencyHistogram::record(double ms) {
  if (!(ms >= 0)) ms = 0;
  uint32_t& c = counts[bucket_for(ms)];
  if (c != std::numeric_limits<uint32_t>::max()) ++c;
  if (total == 0 || ms < min_ms) min_ms = ms;
  if (total == 0 || ms > max_ms) max_ms = ms;
  ++total;
}

double LatencyHistogram::percentile(double q) const {
  uint64_t n = 0;
  for (uint32_t c : counts) n += c;
  if (n == 0) return 0;
  if (!(q > 0)) q = std::numeric_limits<double>::min();
  if (q > 1) q = 1;
  auto rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(n)));
  if (rank == 0) rank = 1;
  if (rank >= n) return max_ms;  // the largest value is known exactly
  uint64_t seen = 0;
  int b = 0;
  for (; b < kBuckets; ++b) {
    seen += counts[b];
    if (seen >= rank) break;
  }
  double lo = lower_bound(b);
  double hi = upper_bound(b);
  double estimate;
  if (b == 0) {
    estimate = kMinMs / 2;
  } else if (std::isinf(hi)) {
    estimate = max_ms;
  } else {
    estimate = std::sqrt(lo * hi);
  }
  if (estimate < min_ms) estimate = min_ms;
  if (estimate > max_ms) estimate = max_ms;
  return estimate;
}

}  // namespace pgfast
