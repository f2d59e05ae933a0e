// pgfast::detail::CacheStatsCounters: the counters behind Cache::stats(), shared by the cache's
// parts (CacheImpl, CacheStore); bind_cache_metrics mirrors some of them to Prometheus.
#pragma once

#include "metrics/metric_counter.hpp"

namespace pgfast::detail {

struct CacheStatsCounters {
  Counter hits, negative_hits, stale_hits, misses, loads, load_errors, lease_waits, refreshes, sets,
      writes_skipped, errors, invalidations, bytes_saved, decode_errors;
};

}  // namespace pgfast::detail
