// pgfast::Cache: a Redis cache for application data (DESIGN 5.3, docs/cache.md).
//
//  - Plain operations on namespaced keys (prefix "io:" by default): get, set (TTL), del, exists,
//    ttl, increment, get_or_set, delete_pattern (SCAN + UNLINK, never KEYS).
//  - Read-through with key templates, the equivalent of the reference application's decorators:
//      cache.cached("search:results:{session_id}", {{"session_id", 42}}, 3600s, loader)
//      cache.invalidate("search:*:{session_id}", {{"session_id", 42}})
//    with conditional caching (a predicate on the loaded value), custom key functions, tags with
//    generation counters (invalidating a tag is one command however many keys carry it),
//    negative caching of "not found", and stampede protection: one loader per key in this process
//    (single flight) and a Redis lease across processes (SET NX PX with a random token, released
//    by its owner only), optionally stale-while-revalidate / early refresh in the background.
//  - Values are stored in a versioned envelope (pgfast/cache_envelope.hpp), compressed with zstd
//    from 1 KB on.
//  - When Redis cannot be used, reads fall through to the loader (or miss) and writes are skipped;
//    nothing throws into application code unless `strict` is set. The pool reconnects by itself
//    once Redis is back.
// Thread-safe: one Cache is shared by all threads of a process.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pgfast/key_template.hpp"
#include "pgfast/metrics.hpp"
#include "pgfast/redis.hpp"

namespace pgfast {

struct Settings;

struct CacheOptions {
  // The Redis pool (URL, size, timeouts). from_settings: REDIS_URL, REDIS_MAX_CONNECTIONS.
  RedisOptions redis;
  // CACHE_ENABLED. When false every read is a miss (loaders run) and nothing is written.
  bool enabled = true;
  // Prepended to every key (and to the internal tag and lease keys).
  std::string key_prefix = "io:";
  // CACHE_DEFAULT_TTL: used where a call passes no TTL.
  std::chrono::milliseconds default_ttl{std::chrono::seconds(3600)};
  // How long a "not found" (a loader returning std::nullopt) is remembered; 0 disables.
  std::chrono::milliseconds negative_ttl{std::chrono::seconds(60)};
  // Values of at least this many bytes are compressed (zstd at compression_level) when that
  // makes them smaller. 0 disables compression.
  std::size_t compress_threshold = 1024;
  int compression_level = 1;
  // Redis errors (unavailable, timeouts, error replies) throw RedisError subclasses instead of
  // falling through.
  bool strict = false;
  // Cross-process stampede protection: a loader holds the key's lease for at most lease_ttl;
  // callers in other processes poll for its value (1 ms doubling to 50 ms) for at most lease_wait,
  // then load themselves.
  std::chrono::milliseconds lease_ttl{10000};
  std::chrono::milliseconds lease_wait{5000};
  // Tag generation keys live this long (a missing tag makes every entry carrying it a miss, so
  // expiry is safe; it only bounds memory).
  std::chrono::milliseconds tag_ttl{std::chrono::hours(24 * 7)};
  // Prometheus metrics (docs/metrics.md): null = none; the `cache` label value ("" = "default").
  std::shared_ptr<Metrics> metrics;
  std::string metrics_name;

  // REDIS_URL, REDIS_MAX_CONNECTIONS, CACHE_ENABLED, CACHE_DEFAULT_TTL; short timeouts (a cache
  // must not make a request slower than the query it saves): connect 500 ms, command 500 ms,
  // down_backoff 1 s; probe_idle_after 1 s (no liveness probe for connections used within 1 s).
  static CacheOptions from_settings(const Settings& settings);
};

// Per call options of cached() / get_or_set().
struct CachedOptions {
  // Tags to record with the value; invalidate_tag(tag) makes every value carrying it a miss.
  // Tags are key templates filled from the same parameters (e.g. "session:{session_id}").
  std::vector<std::string> tags;
  // Conditional caching: the loaded value is stored only when this returns true (it is returned
  // either way). std::nullopt is the loader's "not found".
  std::function<bool(const std::optional<std::string>&)> cache_if;
  // "Not found" TTL; unset: CacheOptions::negative_ttl; 0: not cached.
  std::optional<std::chrono::milliseconds> negative_ttl;
  // After the TTL the value stays this long more and is served stale while one caller reloads it
  // in the background.
  std::chrono::milliseconds stale_while_revalidate{0};
  // During the last `early_refresh` of the TTL a hit triggers a background reload (the value is
  // never served stale).
  std::chrono::milliseconds early_refresh{0};
  // Application-defined content type, stored in the envelope.
  std::uint8_t format = 0;
};

struct CacheStats {
  std::uint64_t hits = 0;           // values (and cached "not found") served from Redis
  std::uint64_t negative_hits = 0;  // of which: cached "not found"
  std::uint64_t stale_hits = 0;     // of which: served stale while being refreshed
  std::uint64_t misses = 0;         // reads that found nothing usable (absent, stale tag, corrupt)
  std::uint64_t loads = 0;          // loader calls (foreground and background)
  std::uint64_t load_errors = 0;    // loader calls that threw
  std::uint64_t lease_waits = 0;    // misses that waited for another process's loader
  std::uint64_t refreshes = 0;      // background refreshes started
  std::uint64_t sets = 0;           // values written
  // writes not done: Redis unavailable, cache disabled, or the key was invalidated during the load
  std::uint64_t writes_skipped = 0;
  std::uint64_t errors = 0;         // Redis errors (unavailable, timeout, error reply)
  std::uint64_t invalidations = 0;  // keys deleted and tags bumped by invalidate*/delete_pattern
  std::uint64_t bytes_saved = 0;    // raw minus stored bytes of compressed values written
};

class Cache {
 public:
  using Loader = std::function<std::optional<std::string>()>;
  using KeyFunction = std::function<std::string(const KeyParams&)>;
  using Duration = std::chrono::milliseconds;

  // PTTL-style answers of ttl().
  static constexpr Duration kNoKey{-2};
  static constexpr Duration kNoExpiry{-1};

  explicit Cache(CacheOptions options);
  explicit Cache(const Settings& settings);
  // Shares an existing pool (e.g. with a RateLimiter); options.redis is then ignored.
  Cache(std::shared_ptr<Redis> redis, CacheOptions options);
  ~Cache();
  Cache(const Cache&) = delete;
  Cache& operator=(const Cache&) = delete;

  // --- plain operations (keys without the prefix) ---------------------------------------------
  // The value; std::nullopt when absent, a cached "not found", stale by tag, or Redis unavailable.
  std::optional<std::string> get(const std::string& key);
  // Stores `value` for `ttl` (default_ttl when unset; 0: no expiry). False when skipped.
  bool set(const std::string& key, std::string_view value, std::optional<Duration> ttl = {},
           const std::vector<std::string>& tags = {});
  // True when the key existed.
  bool del(const std::string& key);
  // One UNLINK for all of them; the number that existed.
  std::size_t del(const std::vector<std::string>& keys);
  bool exists(const std::string& key);
  // Remaining time to live; kNoKey when absent, kNoExpiry when it never expires (and kNoKey when
  // Redis is unavailable).
  Duration ttl(const std::string& key);
  // INCRBY (a plain integer value, readable with get()); sets the TTL when the key was created.
  // std::nullopt when Redis is unavailable.
  std::optional<long long> increment(const std::string& key, long long by = 1,
                                     std::optional<Duration> ttl = {});
  // The cached value, or loader() stored and returned (with stampede protection).
  std::string get_or_set(const std::string& key, const std::function<std::string()>& loader,
                         std::optional<Duration> ttl = {});
  // Deletes every key (below the prefix) matching the glob `pattern` with SCAN + UNLINK.
  // Returns the number deleted (0 when Redis is unavailable).
  std::size_t delete_pattern(const std::string& pattern);

  // --- read-through ---------------------------------------------------------------------------
  // The value for key_template filled from params: from Redis, or from loader() (then stored).
  // std::nullopt: the loader's "not found" (cached too, see negative_ttl). Loader exceptions
  // propagate (to every caller sharing the load) and nothing is stored.
  std::optional<std::string> cached(std::string_view key_template, const KeyParams& params,
                                    std::optional<Duration> ttl, const Loader& loader,
                                    const CachedOptions& options = {});
  // The same with a custom key function.
  std::optional<std::string> cached(const KeyFunction& key_function, const KeyParams& params,
                                    std::optional<Duration> ttl, const Loader& loader,
                                    const CachedOptions& options = {});
  // The same with a ready key (no template).
  std::optional<std::string> cached_key(const std::string& key, std::optional<Duration> ttl,
                                        const Loader& loader, const CachedOptions& options = {});

  // --- invalidation ---------------------------------------------------------------------------
  // The key(s) the template names: one UNLINK without wildcards, SCAN + UNLINK with them ('*',
  // '?', '[..]' in the template; parameter values match literally). Returns keys deleted.
  std::size_t invalidate(std::string_view key_template, const KeyParams& params = {});
  // Makes every value stored with `tag` a miss: one command.
  void invalidate_tag(const std::string& tag);
  void invalidate_tags(const std::vector<std::string>& tags);
  // Tags matching a glob (e.g. "session:*"): SCAN + UNLINK of their generation keys.
  std::size_t invalidate_tag_pattern(const std::string& pattern);

  // --- introspection --------------------------------------------------------------------------
  CacheStats stats() const;
  // The full Redis key for `key` (with the prefix).
  std::string redis_key(const std::string& key) const { return options_.key_prefix + key; }
  std::string tag_key(const std::string& tag) const;
  // The key of the stampede lease for `key`.
  std::string lease_key(const std::string& key) const;
  const CacheOptions& options() const noexcept { return options_; }
  Redis& redis() noexcept { return *redis_; }
  // Waits until no background refresh is queued or running (for tests and shutdown).
  void wait_for_refreshes();

  class Impl;

 private:
  CacheOptions options_;
  std::shared_ptr<Redis> redis_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pgfast
