// detail::MetricFamilies: the pgfast_* Prometheus families a pgfast::Metrics registered, and the
// series one component binds, labelled with its name (docs/metrics.md).
#pragma once

#include <array>
#include <chrono>
#include <memory>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "pgfast/metrics.hpp"

namespace pgfast {
enum class DecisionSource;
struct BulkResult;
}  // namespace pgfast

namespace pgfast::detail {

class Counter;

struct MetricFamilies {
  explicit MetricFamilies(prometheus::Registry& registry);

  // Database pool, label pool.
  prometheus::Family<prometheus::Gauge>& pool_connections;  // + state="in_use"|"idle"
  prometheus::Family<prometheus::Counter>& pool_waits;
  prometheus::Family<prometheus::Counter>& pool_timeouts;
  prometheus::Family<prometheus::Counter>& pool_acquires;
  prometheus::Family<prometheus::Counter>& pool_opened;
  prometheus::Family<prometheus::Counter>& pool_closed;
  prometheus::Family<prometheus::Counter>& pool_recycled;
  prometheus::Family<prometheus::Counter>& pool_broken;
  // Cache, label cache.
  prometheus::Family<prometheus::Counter>& cache_hits;
  prometheus::Family<prometheus::Counter>& cache_misses;
  prometheus::Family<prometheus::Counter>& cache_loads;
  prometheus::Family<prometheus::Counter>& cache_load_errors;
  prometheus::Family<prometheus::Counter>& cache_sets;
  prometheus::Family<prometheus::Counter>& cache_fall_throughs;
  prometheus::Family<prometheus::Counter>& cache_invalidations;
  // Rate limiter, labels limiter, decision, source.
  prometheus::Family<prometheus::Counter>& limiter_decisions;
  // Invalidator, label invalidator.
  prometheus::Family<prometheus::Gauge>& invalidator_lag;
  prometheus::Family<prometheus::Counter>& invalidator_resyncs;
  // BulkWriter, label action.
  prometheus::Family<prometheus::Counter>& bulk_rows;
};

// A pool's gauges, set under the pool's lock where its counts change.
struct PoolGauges {
  prometheus::Gauge* in_use = nullptr;  // null: no metrics
  prometheus::Gauge* idle = nullptr;

  void set_connections(std::size_t in_use_count, std::size_t idle_count) const noexcept {
    if (in_use == nullptr) return;
    in_use->Set(static_cast<double>(in_use_count));
    idle->Set(static_cast<double>(idle_count));
  }
};

// The pool counters that have a series.
struct PoolCounters {
  Counter& waits;
  Counter& timeouts;
  Counter& acquires;
  Counter& opened;
  Counter& closed;
  Counter& recycled;
  Counter& broken;
};

// Mirrors the counters to the pool_* series of `name` and returns its gauges (no-ops when
// `metrics` is null).
PoolGauges bind_pool_metrics(const Metrics* metrics, const std::string& name,
                             const PoolCounters& counters);

// The cache counters that have a series.
struct CacheCounters {
  Counter& hits;
  Counter& misses;
  Counter& loads;
  Counter& load_errors;
  Counter& sets;
  Counter& errors;  // pgfast_cache_fall_throughs_total
  Counter& invalidations;
};

// Mirrors the counters to the cache_* series of `name` (nothing when `metrics` is null).
void bind_cache_metrics(const Metrics* metrics, const std::string& name,
                        const CacheCounters& counters);

// The decision counters of one limiter, by source and allowed.
class RateLimiterMetrics {
 public:
  // Null when `metrics` is null.
  static std::shared_ptr<const RateLimiterMetrics> bind(const Metrics* metrics,
                                                        const std::string& name);
  void count(DecisionSource source, bool allowed) const noexcept;

 private:
  std::array<std::array<prometheus::Counter*, 2>, 5> decisions_{};
};

// An Invalidator's series.
class InvalidatorMetrics {
 public:
  // Null when `metrics` is null.
  static std::shared_ptr<const InvalidatorMetrics> bind(const Metrics* metrics,
                                                        const std::string& name);
  void set_lag(std::chrono::steady_clock::duration lag) const noexcept;
  void resynced() const noexcept;

 private:
  prometheus::Gauge* lag_seconds_ = nullptr;
  prometheus::Counter* resyncs_ = nullptr;
};

// Adds a finished BulkWriter's counts to pgfast_bulk_rows_total (nothing when `metrics` is null).
void count_bulk_rows(const Metrics* metrics, const BulkResult& result);

}  // namespace pgfast::detail
