// detail::Counter (a stats counter mirrored to a Prometheus counter) and the families
// pgfast::Metrics registers; no server.
#include "pgfast/metrics.hpp"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <stdexcept>
#include <string>

#include "metrics/metric_counter.hpp"
#include "metrics/metric_families.hpp"

namespace {

double value_of(prometheus::Registry& registry, const std::string& family,
                const prometheus::Labels& labels) {
  for (const auto& f : registry.Collect()) {
    if (f.name != family) continue;
    for (const auto& m : f.metric) {
      prometheus::Labels have;
      for (const auto& l : m.label) have[l.name] = l.value;
      if (have != labels) continue;
      return f.type == prometheus::MetricType::Gauge ? m.gauge.value : m.counter.value;
    }
  }
  ADD_FAILURE() << "no series " << family;
  return -1;
}

}  // namespace

TEST(MetricCounter, CountsLikeAnAtomicWithoutAMirror) {
  pgfast::detail::Counter c;
  EXPECT_EQ(c.fetch_add(2, std::memory_order_relaxed), 0u);
  EXPECT_EQ(++c, 3u);
  EXPECT_EQ(c += 4, 7u);
  EXPECT_EQ(c.load(), 7u);
  const std::uint64_t copied = c;
  EXPECT_EQ(copied, 7u);
}

TEST(MetricCounter, MirrorStartsFromTheCurrentValueAndFollowsEveryIncrement) {
  prometheus::Counter mirror;
  pgfast::detail::Counter c;
  c.fetch_add(5);
  c.mirror_to(&mirror);
  EXPECT_EQ(mirror.Value(), 5.0);
  c.fetch_add(1, std::memory_order_relaxed);
  ++c;
  c += 10;
  EXPECT_EQ(c.load(), 17u);
  EXPECT_EQ(mirror.Value(), 17.0);
  c.mirror_to(nullptr);
  ++c;
  EXPECT_EQ(mirror.Value(), 17.0);
}

// Registry::Collect() leaves out families without series, so registration shows as a conflict:
// the name is taken, by a family of the other type.
TEST(Metrics, RegistersEveryFamilyAndASecondMetricsSharesThem) {
  prometheus::Registry registry;
  pgfast::Metrics metrics(registry);
  EXPECT_NO_THROW(pgfast::Metrics again(registry));
  for (const char* counter :
       {"pgfast_db_pool_waits_total", "pgfast_db_pool_timeouts_total",
        "pgfast_db_pool_acquires_total", "pgfast_db_pool_connections_opened_total",
        "pgfast_db_pool_connections_closed_total", "pgfast_db_pool_connections_recycled_total",
        "pgfast_db_pool_connections_broken_total", "pgfast_cache_hits_total",
        "pgfast_cache_misses_total", "pgfast_cache_loads_total", "pgfast_cache_load_errors_total",
        "pgfast_cache_sets_total", "pgfast_cache_fall_throughs_total",
        "pgfast_cache_invalidations_total", "pgfast_rate_limiter_decisions_total",
        "pgfast_invalidator_resyncs_total", "pgfast_bulk_rows_total"}) {
    EXPECT_THROW(prometheus::BuildGauge().Name(counter).Register(registry), std::invalid_argument)
        << counter;
  }
  for (const char* gauge : {"pgfast_db_pool_connections", "pgfast_invalidator_lag_seconds"}) {
    EXPECT_THROW(prometheus::BuildCounter().Name(gauge).Register(registry), std::invalid_argument)
        << gauge;
  }
}

TEST(Metrics, PoolBindingMirrorsCountersAndSetsGaugesUnderTheName) {
  prometheus::Registry registry;
  pgfast::Metrics metrics(registry);
  pgfast::detail::Counter waits, timeouts, acquires, opened, closed, recycled, broken;
  const pgfast::detail::PoolGauges gauges = pgfast::detail::bind_pool_metrics(
      &metrics, "main", {waits, timeouts, acquires, opened, closed, recycled, broken});
  ++waits;
  timeouts += 2;
  gauges.set_connections(3, 4);
  EXPECT_EQ(value_of(registry, "pgfast_db_pool_waits_total", {{"pool", "main"}}), 1.0);
  EXPECT_EQ(value_of(registry, "pgfast_db_pool_timeouts_total", {{"pool", "main"}}), 2.0);
  EXPECT_EQ(
      value_of(registry, "pgfast_db_pool_connections", {{"pool", "main"}, {"state", "in_use"}}),
      3.0);
  EXPECT_EQ(value_of(registry, "pgfast_db_pool_connections", {{"pool", "main"}, {"state", "idle"}}),
            4.0);
}

TEST(Metrics, NullMetricsBindNothing) {
  pgfast::detail::Counter waits, timeouts, acquires, opened, closed, recycled, broken;
  const pgfast::detail::PoolGauges gauges = pgfast::detail::bind_pool_metrics(
      nullptr, "main", {waits, timeouts, acquires, opened, closed, recycled, broken});
  EXPECT_EQ(gauges.in_use, nullptr);
  gauges.set_connections(1, 1);  // a no-op
  ++waits;
  EXPECT_EQ(waits.load(), 1u);
  EXPECT_EQ(pgfast::detail::RateLimiterMetrics::bind(nullptr, "x"), nullptr);
  EXPECT_EQ(pgfast::detail::InvalidatorMetrics::bind(nullptr, "x"), nullptr);
}

TEST(Metrics, EmptyNameIsTheDefaultLabel) {
  prometheus::Registry registry;
  pgfast::Metrics metrics(registry);
  auto inv = pgfast::detail::InvalidatorMetrics::bind(&metrics, "");
  inv->resynced();
  EXPECT_EQ(value_of(registry, "pgfast_invalidator_resyncs_total", {{"invalidator", "default"}}),
            1.0);
}
