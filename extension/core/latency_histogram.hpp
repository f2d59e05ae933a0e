// Log-spaced latency histogram for slow-query statistics. Plain data (an array of counters) so it
// can live in PostgreSQL shared memory; pure C++ so it is unit-tested without a server.
//
// Bucket 0 holds durations below kMinMs; bucket i (1 <= i < kBuckets-1) holds
// [kMinMs * 2^((i-1)/4), kMinMs * 2^(i/4)); the last bucket is open-ended. Four buckets per
// doubling bound a percentile's relative error by about 9% (half a bucket, geometrically).
#pragma once

#include <cstdint>

namespace pgfast {

struct LatencyHistogram {
  static constexpr int kBuckets = 128;
  static constexpr double kMinMs = 0.001;  // 1 microsecond
  static constexpr int kBucketsPerDoubling = 4;

  uint32_t counts[kBuckets];
  uint64_t total;  // number of recorded durations
  double min_ms;   // valid when total > 0
  double max_ms;

  // The bucket that `ms` falls in (negative and NaN count as 0).
  static int bucket_for(double ms);
  // Lower and upper bound of bucket `b` in milliseconds (upper of the last one is +inf).
  static double lower_bound(int b);
  static double upper_bound(int b);

  void clear();
  void record(double ms);
  // The q-quantile (0 < q <= 1) estimated as the geometric middle of its bucket, clamped to the
  // observed min and max (the 1.0-quantile is the exact max); 0 when empty.
  double percentile(double q) const;
};

}  // namespace pgfast
