#include "core/latency_histogram.hpp"

#include <cmath>
#include <cstring>
#include <limits>

namespace pgfast {

// floor(4 * log2(ms / kMinMs)) + 1 without a call to log2 (every captured statement records one
// duration): the binary exponent gives the doubling, three comparisons of the mantissa the quarter.
int LatencyHistogram::bucket_for(double ms) {
  static_assert(kBucketsPerDoubling == 4,
                "the quarter thresholds below are 2^(1/4), 2^(2/4), 2^(3/4)");
  if (!(ms >= kMinMs)) return 0;  // also NaN
  double x = ms / kMinMs;         // >= 1
  uint64_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  int exponent = static_cast<int>((bits >> 52) & 0x7ff) - 1023;
  if (exponent >= kBuckets / kBucketsPerDoubling) return kBuckets - 1;  // also infinity
  uint64_t mantissa_bits = (bits & ((uint64_t{1} << 52) - 1)) | (uint64_t{1023} << 52);
  double mantissa;  // in [1, 2)
  std::memcpy(&mantissa, &mantissa_bits, sizeof mantissa);
  int quarter = (mantissa >= 1.1892071150027210667) + (mantissa >= 1.4142135623730950488) +
                (mantissa >= 1.6817928305074290861);
  int index = exponent * kBucketsPerDoubling + quarter + 1;
  return index >= kBuckets - 1 ? kBuckets - 1 : index;
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
