#include "pgfast/metrics.hpp"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "metrics/metric_counter.hpp"
#include "metrics/metric_families.hpp"
#include "pgfast/bulk/bulk_writer.hpp"
#include "pgfast/ratelimit/rate_limit.hpp"

namespace pgfast {

namespace detail {

namespace {

prometheus::Family<prometheus::Counter>& counter(prometheus::Registry& registry,
                                                 const std::string& name, const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(registry);
}

prometheus::Family<prometheus::Gauge>& gauge(prometheus::Registry& registry,
                                             const std::string& name, const std::string& help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(registry);
}

// The label value of a component: its name, "default" when it has none.
std::string label(const std::string& name) {
  return name.empty() ? "default" : name;
}

}  // namespace

MetricFamilies::MetricFamilies(prometheus::Registry& r)
    : pool_connections(gauge(r, "pgfast_db_pool_connections",
                             "Open connections of the database pool, by state (in_use, idle)")),
      pool_waits(counter(r, "pgfast_db_pool_waits_total",
                         "Connection requests that found the pool exhausted and waited")),
      pool_timeouts(counter(r, "pgfast_db_pool_timeouts_total",
                            "Connection requests that timed out waiting (PoolTimeoutError)")),
      pool_acquires(counter(r, "pgfast_db_pool_acquires_total",
                            "Connections lent by the pool (successful requests)")),
      pool_opened(counter(r, "pgfast_db_pool_connections_opened_total",
                          "Database connections opened by the pool")),
      pool_closed(counter(r, "pgfast_db_pool_connections_closed_total",
                          "Database connections closed by the pool, for any reason")),
      pool_recycled(counter(r, "pgfast_db_pool_connections_recycled_total",
                            "Connections closed on borrow for being older than the recycle age")),
      pool_broken(counter(r, "pgfast_db_pool_connections_broken_total",
                          "Connections found broken (pre-ping, on borrow or return) and closed")),
      cache_hits(counter(r, "pgfast_cache_hits_total",
                         "Cache reads served from Redis (including cached \"not found\")")),
      cache_misses(counter(r, "pgfast_cache_misses_total",
                           "Cache reads that found nothing usable (absent, stale tag, corrupt)")),
      cache_loads(counter(r, "pgfast_cache_loads_total",
                          "Loader calls (foreground and background refreshes)")),
      cache_load_errors(counter(r, "pgfast_cache_load_errors_total", "Loader calls that threw")),
      cache_sets(counter(r, "pgfast_cache_sets_total", "Values written to the cache")),
      cache_fall_throughs(
          counter(r, "pgfast_cache_fall_throughs_total",
                  "Redis errors (unavailable, timeout, error reply) the cache served through: "
                  "a miss or a skipped write (thrown instead in strict mode)")),
      cache_invalidations(
          counter(r, "pgfast_cache_invalidations_total",
                  "Keys deleted and tags bumped by invalidate*, del and delete_pattern")),
      limiter_decisions(counter(r, "pgfast_rate_limiter_decisions_total",
                                "Rate limiter decisions (check and peek), by decision and by "
                                "who made them (source)")),
      invalidator_lag(gauge(r, "pgfast_invalidator_lag_seconds",
                            "Of the last change notification: time from its arrival on the "
                            "LISTEN connection to its invalidation applied in Redis")),
      invalidator_resyncs(counter(r, "pgfast_invalidator_resyncs_total",
                                  "Invalidations of everything the rules cover (after a "
                                  "reconnect, or a Redis error during an invalidation)")),
      bulk_rows(counter(r, "pgfast_bulk_rows_total",
                        "Rows merged by finished BulkWriters, by action (inserted, updated, "
                        "unchanged)")) {}

PoolGauges bind_pool_metrics(const Metrics* metrics, const std::string& name,
                             const PoolCounters& counters) {
  if (metrics == nullptr) return {};
  const MetricFamilies& f = metrics->families();
  const prometheus::Labels pool{{"pool", label(name)}};
  counters.waits.mirror_to(&f.pool_waits.Add(pool));
  counters.timeouts.mirror_to(&f.pool_timeouts.Add(pool));
  counters.acquires.mirror_to(&f.pool_acquires.Add(pool));
  counters.opened.mirror_to(&f.pool_opened.Add(pool));
  counters.closed.mirror_to(&f.pool_closed.Add(pool));
  counters.recycled.mirror_to(&f.pool_recycled.Add(pool));
  counters.broken.mirror_to(&f.pool_broken.Add(pool));
  PoolGauges g;
  g.in_use = &f.pool_connections.Add({{"pool", label(name)}, {"state", "in_use"}});
  g.idle = &f.pool_connections.Add({{"pool", label(name)}, {"state", "idle"}});
  g.set_connections(0, 0);
  return g;
}

void bind_cache_metrics(const Metrics* metrics, const std::string& name,
                        const CacheCounters& counters) {
  if (metrics == nullptr) return;
  const MetricFamilies& f = metrics->families();
  const prometheus::Labels cache{{"cache", label(name)}};
  counters.hits.mirror_to(&f.cache_hits.Add(cache));
  counters.misses.mirror_to(&f.cache_misses.Add(cache));
  counters.loads.mirror_to(&f.cache_loads.Add(cache));
  counters.load_errors.mirror_to(&f.cache_load_errors.Add(cache));
  counters.sets.mirror_to(&f.cache_sets.Add(cache));
  counters.errors.mirror_to(&f.cache_fall_throughs.Add(cache));
  counters.invalidations.mirror_to(&f.cache_invalidations.Add(cache));
}

std::shared_ptr<const RateLimiterMetrics> RateLimiterMetrics::bind(const Metrics* metrics,
                                                                   const std::string& name) {
  if (metrics == nullptr) return nullptr;
  auto m = std::make_shared<RateLimiterMetrics>();
  for (DecisionSource source :
       {DecisionSource::redis, DecisionSource::local, DecisionSource::fail_open,
        DecisionSource::fail_closed, DecisionSource::disabled}) {
    for (bool allowed : {false, true}) {
      m->decisions_[static_cast<std::size_t>(source)][allowed ? 1 : 0] =
          &metrics->families().limiter_decisions.Add({{"limiter", label(name)},
                                                      {"decision", allowed ? "allowed" : "denied"},
                                                      {"source", to_string(source)}});
    }
  }
  return m;
}

void RateLimiterMetrics::count(DecisionSource source, bool allowed) const noexcept {
  decisions_[static_cast<std::size_t>(source)][allowed ? 1 : 0]->Increment();
}

std::shared_ptr<const InvalidatorMetrics> InvalidatorMetrics::bind(const Metrics* metrics,
                                                                   const std::string& name) {
  if (metrics == nullptr) return nullptr;
  auto m = std::make_shared<InvalidatorMetrics>();
  const prometheus::Labels invalidator{{"invalidator", label(name)}};
  m->lag_seconds_ = &metrics->families().invalidator_lag.Add(invalidator);
  m->resyncs_ = &metrics->families().invalidator_resyncs.Add(invalidator);
  return m;
}

void InvalidatorMetrics::set_lag(std::chrono::steady_clock::duration lag) const noexcept {
  lag_seconds_->Set(std::chrono::duration<double>(lag).count());
}

void InvalidatorMetrics::resynced() const noexcept {
  resyncs_->Increment();
}

void count_bulk_rows(const Metrics* metrics, const BulkResult& result) {
  if (metrics == nullptr) return;
  auto& rows = metrics->families().bulk_rows;
  rows.Add({{"action", "inserted"}}).Increment(static_cast<double>(result.inserted));
  rows.Add({{"action", "updated"}}).Increment(static_cast<double>(result.updated));
  rows.Add({{"action", "unchanged"}}).Increment(static_cast<double>(result.unchanged));
}

}  // namespace detail

Metrics::Metrics(prometheus::Registry& registry)
    : families_(std::make_unique<detail::MetricFamilies>(registry)) {}

Metrics::~Metrics() = default;

}  // namespace pgfast
