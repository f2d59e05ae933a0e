#include "pgfast/cache/cache.hpp"

#include <algorithm>
#include <thread>

#include "cache/cache_key_layout.hpp"
#include "cache/cache_lease.hpp"
#include "cache/cache_stats_counters.hpp"
#include "cache/cache_store.hpp"
#include "metrics/metric_families.hpp"
#include "pgfast/settings.hpp"
#include "pgfast/testing/cache_access.hpp"
#include "cache/refresh_queue.hpp"
#include "cache/single_flight.hpp"

namespace pgfast {

CacheOptions CacheOptions::from_settings(const Settings& settings) {
  CacheOptions o;
  // Only what Settings names; the tuned timeouts stay CacheOptions{}'s (RedisOptions::for_cache).
  const RedisOptions named = RedisOptions::from_settings(settings);
  o.redis.url = named.url;
  o.redis.max_connections = named.max_connections;
  o.redis.cluster_nodes = named.cluster_nodes;
  o.redis.read_from_replicas = named.read_from_replicas;
  o.enabled = settings.cache_enabled;
  o.default_ttl = settings.cache_default_ttl;
  return o;
}

namespace detail {

namespace {

using Duration = Cache::Duration;

// A stale hit's reload, run later on the refresh thread.
struct RefreshTask {
  std::string key;  // full Redis key
  Duration ttl;
  Cache::Loader loader;
  CachedOptions options;
  std::vector<std::string> tags;  // filled tag names
  std::uint8_t format = 0;
};

}  // namespace

// Read-through: lookup, the miss path under the single flight and the lease, background
// refreshes; the storage is CacheStore's, the lease protocol CacheLeases'.
class CacheImpl {
 public:
  CacheImpl(Redis redis, CacheOptions options)
      : o_(std::move(options)),
        redis_(std::move(redis)),
        layout_(o_.key_prefix, redis_.cluster()),
        leases_(redis_, layout_, o_.lease_ttl),
        store_(redis_, layout_, o_, c) {
    if (o_.default_ttl.count() < 0 || o_.negative_ttl.count() < 0) {
      throw ConfigurationError("pgfast::Cache: TTLs must not be negative");
    }
    if (o_.lease_ttl.count() <= 0 || o_.lease_wait.count() < 0 || o_.tag_ttl.count() <= 0) {
      throw ConfigurationError(
          "pgfast::Cache: lease_ttl and tag_ttl must be positive, lease_wait not negative");
    }
    bind_cache_metrics(
        o_.metrics.get(), o_.metrics_name,
        {c.hits, c.misses, c.loads, c.load_errors, c.sets, c.errors, c.invalidations});
  }
  // Stops the refresh thread before the members its tasks use go.
  ~CacheImpl() { refreshes_.stop(); }
  CacheImpl(const CacheImpl&) = delete;
  CacheImpl& operator=(const CacheImpl&) = delete;

  // Runs f; a RedisError counts as an error and becomes `fallback` (or propagates when strict).
  template <class F, class T>
  T guarded(F&& f, T fallback) {
    try {
      return f();
    } catch (const RedisError&) {
      c.errors.fetch_add(1, std::memory_order_relaxed);
      if (o_.strict) throw;
      return fallback;
    }
  }

  // Stores unless the predicate or the negative TTL says not to; never throws RedisError
  // (a failed write is skipped, or thrown in strict mode).
  void store_loaded(const std::string& full_key, const std::optional<std::string>& value,
                    Duration ttl, const CachedOptions& options, std::uint8_t format,
                    const TagGenerations& tags, const LeaseHold* held = nullptr) {
    if (options.cache_if && !options.cache_if(value)) return;
    if (!value) {
      ttl = options.negative_ttl ? *options.negative_ttl : o_.negative_ttl;
      if (ttl.count() <= 0) return;
    }
    const bool stored = guarded(
        [&] { return store_.store(full_key, value, ttl, options, format, tags, held); }, false);
    if (!stored) c.writes_skipped.fetch_add(1, std::memory_order_relaxed);
  }

  std::optional<std::string> run_loader(const Cache::Loader& loader) {
    c.loads.fetch_add(1, std::memory_order_relaxed);
    try {
      return loader();
    } catch (...) {
      c.load_errors.fetch_add(1, std::memory_order_relaxed);
      throw;
    }
  }

  void release_lease(const LeaseHold& held) noexcept {
    try {
      leases_.release(held);
    } catch (const RedisError&) {
      c.errors.fetch_add(1, std::memory_order_relaxed);  // the lease expires by itself
    }
  }

  // The miss path, run by one thread per key in this process: take the key's lease (or wait for
  // the process holding it to store the value), load, store, release.
  std::optional<std::string> load_with_lease(const std::string& full_key, Duration ttl,
                                             const Cache::Loader& loader,
                                             const CachedOptions& options, std::uint8_t format,
                                             const std::vector<std::string>& tags,
                                             const TagGenerations& generations,
                                             const CacheDecoder* decoder) {
    const auto deadline = std::chrono::steady_clock::now() + o_.lease_wait;
    auto backoff = std::chrono::milliseconds(1);
    bool counted_wait = false;
    while (true) {
      std::optional<LeaseHold> held;
      try {
        held = leases_.acquire(full_key);
      } catch (const RedisError&) {
        c.errors.fetch_add(1, std::memory_order_relaxed);
        if (o_.strict) throw;
        return run_loader(loader);  // Redis unusable: load, skip the write
      }
      if (held) {
        std::optional<std::string> value;
        try {
          value = run_loader(loader);
          store_loaded(full_key, value, ttl, options, format, generations, &*held);
        } catch (...) {  // the loader, a throwing cache_if, or a failed write in strict mode
          release_lease(*held);
          throw;
        }
        release_lease(*held);
        return value;
      }
      // Another process is loading this key: poll for its value until its lease goes away.
      if (!counted_wait) {
        c.lease_waits.fetch_add(1, std::memory_order_relaxed);
        counted_wait = true;
      }
      while (true) {
        if (std::chrono::steady_clock::now() >= deadline) {
          // The other loader is too slow (or gone without releasing): load ourselves.
          auto value = run_loader(loader);
          store_loaded(full_key, value, ttl, options, format, generations);
          return value;
        }
        std::this_thread::sleep_for(backoff);
        backoff = std::min(backoff * 2, std::chrono::milliseconds(50));
        Lookup lk = guarded([&] { return store_.lookup(full_key, tags, decoder); }, kUnavailable);
        if (lk.state == Lookup::State::hit) {
          return lk.entry.negative ? std::nullopt : std::optional<std::string>(lk.entry.value);
        }
        if (lk.state == Lookup::State::unavailable) return run_loader(loader);
        const bool lease_held = guarded([&] { return leases_.held(full_key); }, false);
        if (!lease_held) break;  // released without a value (loader failed, or cache_if): retry
      }
    }
  }

  std::optional<std::string> cached(const std::string& full_key, Duration ttl,
                                    const Cache::Loader& loader, const CachedOptions& options,
                                    std::uint8_t format, const std::vector<std::string>& tags,
                                    const CacheDecoder* decoder) {
    if (!o_.enabled) {
      c.misses.fetch_add(1, std::memory_order_relaxed);
      return run_loader(loader);
    }
    Lookup lk = guarded([&] { return store_.lookup(full_key, tags, decoder); }, kUnavailable);
    if (lk.state == Lookup::State::unavailable) {
      c.misses.fetch_add(1, std::memory_order_relaxed);
      c.writes_skipped.fetch_add(1, std::memory_order_relaxed);
      return run_loader(loader);
    }
    if (lk.state == Lookup::State::hit) {
      c.hits.fetch_add(1, std::memory_order_relaxed);
      if (lk.entry.negative) c.negative_hits.fetch_add(1, std::memory_order_relaxed);
      if (lk.refresh_due) {
        c.stale_hits.fetch_add(1, std::memory_order_relaxed);
        RefreshTask task{full_key, ttl, loader, options, tags, format};
        refreshes_.schedule(full_key, [this, task = std::move(task)] { refresh(task); });
      }
      if (lk.entry.negative) return std::nullopt;
      return std::move(lk.entry.value);
    }
    c.misses.fetch_add(1, std::memory_order_relaxed);
    return flights_
        .run(full_key,
             [&] {
               return load_with_lease(full_key, ttl, loader, options, format, tags, lk.tags,
                                      decoder);
             })
        .value;
  }

  // A background reload (on the refresh thread): only when no other loader holds the lease.
  void refresh(const RefreshTask& task) noexcept {
    c.refreshes.fetch_add(1, std::memory_order_relaxed);
    try {
      const TagGenerations generations = store_.read_tags(task.tags);
      const std::optional<LeaseHold> held = leases_.acquire(task.key);
      if (!held) return;  // another process refreshes it
      try {
        const auto value = run_loader(task.loader);
        store_loaded(task.key, value, task.ttl, task.options, task.format, generations, &*held);
      } catch (...) {
        // A failed refresh keeps serving the stale value until it expires.
      }
      release_lease(*held);
    } catch (...) {
      c.errors.fetch_add(1, std::memory_order_relaxed);
    }
  }

  const CacheOptions o_;
  CacheStatsCounters c;
  Redis redis_;
  CacheKeyLayout layout_;
  CacheLeases leases_;
  CacheStore store_;
  SingleFlight<std::optional<std::string>> flights_;
  RefreshQueue refreshes_;
};

}  // namespace detail

// --- Cache ------------------------------------------------------------------------------------

Cache::Cache(CacheOptions options) : Cache(Redis(options.redis), options) {}

Cache::Cache(const Settings& settings) : Cache(CacheOptions::from_settings(settings)) {}

Cache::Cache(Redis redis, CacheOptions options)
    : impl_(std::make_shared<detail::CacheImpl>(std::move(redis), std::move(options))) {}

std::string Cache::redis_key(const std::string& key) const {
  return impl_->store_.redis_key(key);
}

std::string Cache::tag_key(const std::string& tag) const {
  return impl_->store_.tag_key(tag);
}

const CacheOptions& Cache::options() const noexcept {
  return impl_->o_;
}

Redis Cache::redis() const {
  return impl_->redis_;
}

std::vector<std::optional<std::string>> Cache::get_values(const std::vector<std::string>& keys,
                                                          const Decoder* decoder) {
  std::vector<std::optional<std::string>> out(keys.size());
  if (keys.empty() || !impl_->o_.enabled) return out;
  std::vector<std::string> full_keys;
  full_keys.reserve(keys.size());
  for (const auto& k : keys) full_keys.push_back(redis_key(k));
  std::vector<detail::Lookup> found =
      impl_->guarded([&] { return impl_->store_.lookup_many(full_keys, {}, decoder); },
                     std::vector<detail::Lookup>(keys.size(), detail::kUnavailable));
  auto& c = impl_->c;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    detail::Lookup& lk = found[i];
    if (lk.state != detail::Lookup::State::hit) {
      c.misses.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    c.hits.fetch_add(1, std::memory_order_relaxed);
    if (lk.entry.negative) {
      c.negative_hits.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    out[i] = std::move(lk.entry.value);
  }
  return out;
}

std::size_t Cache::set_values(const std::vector<std::pair<std::string, std::string>>& items,
                              std::uint8_t format, std::optional<Duration> ttl,
                              const std::vector<std::string>& tags) {
  if (items.empty()) return 0;
  std::size_t written = 0;
  if (impl_->o_.enabled) {
    written = impl_->guarded(
        [&] {
          return impl_->store_.store_many(items, format, ttl.value_or(impl_->o_.default_ttl), tags);
        },
        std::size_t{0});
  }
  if (written == 0) impl_->c.writes_skipped.fetch_add(items.size(), std::memory_order_relaxed);
  return written;
}

bool Cache::set(const std::string& key, std::string_view value, std::optional<Duration> ttl,
                const std::vector<std::string>& tags) {
  return set_values({{key, std::string(value)}}, CacheCodec<std::string>::format, ttl, tags) == 1;
}

bool Cache::del(const std::string& key) {
  return del(std::vector<std::string>{key}) > 0;
}

std::size_t Cache::del(const std::vector<std::string>& keys) {
  if (keys.empty()) return 0;
  return impl_->guarded([&] { return impl_->store_.delete_keys(keys, impl_->leases_); },
                        std::size_t{0});
}

bool Cache::exists(const std::string& key) {
  return impl_->guarded(
      [&] {
        return impl_->redis_.command({"EXISTS", redis_key(key)}).integer() > 0;
      },
      false);
}

Cache::Duration Cache::ttl(const std::string& key) {
  return impl_->guarded(
      [&] {
        return Duration(impl_->redis_.command({"PTTL", redis_key(key)}).integer());
      },
      kNoKey);
}

std::optional<long long> Cache::increment(const std::string& key, long long by,
                                          std::optional<Duration> ttl) {
  return impl_->guarded(
      [&]() -> std::optional<long long> {
        const std::string full = redis_key(key);
        if (!ttl || ttl->count() <= 0) {
          return impl_->redis_.command({"INCRBY", full, std::to_string(by)}).integer();
        }
        // PEXPIRE NX: only a key without a TTL (i.e. the one INCRBY just created) gets one.
        auto replies =
            impl_->redis_.pipeline({{"INCRBY", full, std::to_string(by)},
                                    {"PEXPIRE", full, std::to_string(ttl->count()), "NX"}});
        return replies[0].throw_if_error().integer();
      },
      std::optional<long long>{});
}

std::size_t Cache::delete_pattern(const std::string& pattern) {
  return impl_->guarded(
      [&] {
        // Marks first: a load that stores before the mark has its value deleted by the scan.
        impl_->leases_.mark_matching(pattern);
        return impl_->store_.scan_unlink(escape_glob(impl_->o_.key_prefix) + pattern);
      },
      std::size_t{0});
}

std::string Cache::key_for(std::string_view key_template, const KeyParams& params) const {
  return KeyTemplate(std::string(key_template)).fill(params);
}

std::vector<std::string> Cache::tags_for(const CachedOptions& options,
                                         const KeyParams& params) const {
  std::vector<std::string> tags;
  tags.reserve(options.tags.size());
  for (const auto& t : options.tags) tags.push_back(KeyTemplate(t).fill(params));
  return tags;
}

std::optional<std::string> Cache::read_through_bytes(const std::string& key,
                                                     const std::vector<std::string>& tags,
                                                     std::optional<Duration> ttl,
                                                     const Loader& loader,
                                                     const CachedOptions& options,
                                                     std::uint8_t format, const Decoder* decoder) {
  return impl_->cached(redis_key(key), ttl.value_or(impl_->o_.default_ttl), loader, options, format,
                       tags, decoder);
}

std::size_t Cache::invalidate(std::string_view key_template, const KeyParams& params) {
  const KeyTemplate t{std::string(key_template)};
  if (t.has_wildcards()) return delete_pattern(t.pattern(params));
  return del(t.fill(params)) ? 1 : 0;
}

void Cache::invalidate_tag(const std::string& tag) {
  invalidate_tags({tag});
}

void Cache::invalidate_tags(const std::vector<std::string>& tags) {
  if (tags.empty()) return;
  impl_->guarded(
      [&] {
        impl_->store_.bump_tags(tags);
        return true;
      },
      false);
}

std::size_t Cache::invalidate_tag_pattern(const std::string& pattern) {
  return impl_->guarded(
      [&] { return impl_->store_.scan_unlink(escape_glob(tag_key("")) + pattern); },
      std::size_t{0});
}

CacheStats Cache::stats() const {
  const auto& c = impl_->c;
  CacheStats s;
  s.hits = c.hits.load();
  s.negative_hits = c.negative_hits.load();
  s.stale_hits = c.stale_hits.load();
  s.misses = c.misses.load();
  s.loads = c.loads.load();
  s.load_errors = c.load_errors.load();
  s.lease_waits = c.lease_waits.load();
  s.refreshes = c.refreshes.load();
  s.sets = c.sets.load();
  s.writes_skipped = c.writes_skipped.load();
  s.errors = c.errors.load();
  s.invalidations = c.invalidations.load();
  s.bytes_saved = c.bytes_saved.load();
  s.decode_errors = c.decode_errors.load();
  return s;
}

// --- test hooks -------------------------------------------------------------------------------

void testing::CacheAccess::wait_for_refreshes(Cache& cache) {
  cache.impl_->refreshes_.wait_idle();
}

std::string testing::CacheAccess::lease_key(const Cache& cache, const std::string& key) {
  return cache.impl_->leases_.lease_key(cache.redis_key(key));
}

}  // namespace pgfast
