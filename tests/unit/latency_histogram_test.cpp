// LatencyHistogram (extension/core): bucket bounds and percentile accuracy.
#include "core/latency_histogram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace {

using pgfast::LatencyHistogram;

LatencyHistogram empty_histogram() {
  LatencyHistogram h;
  h.clear();
  return h;
}

TEST(LatencyHistogram, BucketsCoverTheLineWithoutGaps) {
  for (int b = 1; b < LatencyHistogram::kBuckets - 1; ++b) {
    EXPECT_DOUBLE_EQ(LatencyHistogram::upper_bound(b), LatencyHistogram::lower_bound(b + 1));
    double mid = std::sqrt(LatencyHistogram::lower_bound(b) * LatencyHistogram::upper_bound(b));
    EXPECT_EQ(LatencyHistogram::bucket_for(mid), b) << "bucket " << b;
  }
  EXPECT_EQ(LatencyHistogram::bucket_for(0), 0);
  EXPECT_EQ(LatencyHistogram::bucket_for(-5), 0);
  EXPECT_EQ(LatencyHistogram::bucket_for(std::nan("")), 0);
  EXPECT_EQ(LatencyHistogram::bucket_for(1e12), LatencyHistogram::kBuckets - 1);
  // The open-ended bucket starts beyond an hour.
  EXPECT_GT(LatencyHistogram::lower_bound(LatencyHistogram::kBuckets - 1), 3.6e6 * 0.5);
}

TEST(LatencyHistogram, EmptyGivesZero) {
  LatencyHistogram h = empty_histogram();
  EXPECT_EQ(h.percentile(0.5), 0);
  EXPECT_EQ(h.total, 0u);
}

TEST(LatencyHistogram, SingleValueIsExact) {
  LatencyHistogram h = empty_histogram();
  h.record(234.5);
  EXPECT_DOUBLE_EQ(h.percentile(0.5), 234.5);
  EXPECT_DOUBLE_EQ(h.percentile(0.99), 234.5);
  EXPECT_DOUBLE_EQ(h.min_ms, 234.5);
  EXPECT_DOUBLE_EQ(h.max_ms, 234.5);
}

TEST(LatencyHistogram, PercentilesWithinTenPercentOfExact) {
  std::mt19937_64 rng(42);
  std::lognormal_distribution<double> dist(std::log(150.0), 1.0);
  LatencyHistogram h = empty_histogram();
  std::vector<double> values;
  for (int i = 0; i < 20000; ++i) {
    double v = dist(rng);
    values.push_back(v);
    h.record(v);
  }
  std::sort(values.begin(), values.end());
  for (double q : {0.5, 0.95, 0.99}) {
    double exact = values[static_cast<size_t>(std::ceil(q * values.size())) - 1];
    EXPECT_NEAR(h.percentile(q) / exact, 1.0, 0.10) << "q=" << q;
  }
  EXPECT_EQ(h.total, 20000u);
  EXPECT_DOUBLE_EQ(h.min_ms, values.front());
  EXPECT_DOUBLE_EQ(h.max_ms, values.back());
}

TEST(LatencyHistogram, PercentilesAreMonotonic) {
  LatencyHistogram h = empty_histogram();
  for (int i = 1; i <= 1000; ++i) h.record(i * 0.7);
  double previous = 0;
  for (double q = 0.01; q <= 1.0; q += 0.01) {
    double p = h.percentile(q);
    EXPECT_GE(p, previous);
    previous = p;
  }
  EXPECT_DOUBLE_EQ(h.percentile(1.0), 700.0);
}

}  // namespace
