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
//  - Values are stored in a versioned envelope (client/src/cache/cache_envelope.hpp), compressed
//  with zstd
//    from 1 KB on. Typed values (get<T>, set<T>, mget<T>, mset<T>, cached<T>) go through
//    CacheCodec<T>: std::string and pgfast::Json are built in, applications specialise it.
//  - When Redis cannot be used, reads fall through to the loader (or miss) and writes are skipped;
//    nothing throws into application code unless `strict` is set. The pool reconnects by itself
//    once Redis is back.
// Thread safety: a handle, cheap to copy and thread-safe; copies share one cache (pool, stats,
// background refresh).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "pgfast/errors.hpp"
#include "pgfast/cache/key_template.hpp"
#include "pgfast/metrics.hpp"
#include "pgfast/redis/redis.hpp"
#include "pgfast/types.hpp"

namespace pgfast {

struct Settings;
class Cache;

namespace detail {
class CacheImpl;
// Called for each value a read finds: (index into the keys, stored bytes, envelope format); false
// when the bytes are not the caller's type (the read is then a miss, counted as a decode error).
using CacheDecoder = std::function<bool(std::size_t, std::string_view, std::uint8_t)>;
template <class T>
struct NonDeduced {
  using type = T;
};
}  // namespace detail

namespace testing {
struct CacheAccess;
}  // namespace testing

// How a T is stored in the cache. Specialise it for your types:
//   template <> struct pgfast::CacheCodec<Point> {
//     static constexpr std::uint8_t format = 16;  // 0 and 1 are taken; stored in the envelope
//     static std::string encode(const Point& p);
//     static Point decode(std::string_view bytes);  // throws on bytes that are not a Point
//   };
// A stored value whose format differs from the codec's, or that decode() throws on, is a miss
// (counted in CacheStats::decode_errors), never an exception in the caller.
template <class T>
struct CacheCodec;

// Bytes as they are; reads accept a value of any format (e.g. an INCR counter).
template <>
struct CacheCodec<std::string> {
  static constexpr std::uint8_t format = 0;
  static std::string encode(const std::string& value) { return value; }
  static std::string decode(std::string_view bytes) { return std::string(bytes); }
};

// JSON text, stored as it is (not validated).
template <>
struct CacheCodec<Json> {
  static constexpr std::uint8_t format = 1;
  static std::string encode(const Json& value) { return value.text; }
  static Json decode(std::string_view bytes) { return Json{std::string(bytes)}; }
};

// The one loader signature of get_or_set, cached and cached_key: the value, or std::nullopt for
// "not found" (cached too, see CacheOptions::negative_ttl).
template <class T>
using CacheLoader = typename detail::NonDeduced<std::function<std::optional<T>()>>::type;

struct CacheOptions {
  // The Redis pool (URL, size, timeouts) a Cache built from these options opens; the defaults are
  // RedisOptions::for_cache() (short timeouts). from_settings: REDIS_URL, REDIS_MAX_CONNECTIONS.
  RedisOptions redis = RedisOptions::for_cache();
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

  // REDIS_URL, REDIS_MAX_CONNECTIONS, CACHE_ENABLED, CACHE_DEFAULT_TTL; everything else as
  // CacheOptions{} (so the Redis timeouts are RedisOptions::for_cache()).
  static CacheOptions from_settings(const Settings& settings);
};

// Per call options of cached() / get_or_set().
struct CachedOptions {
  // Tags to record with the value; invalidate_tag(tag) makes every value carrying it a miss.
  // Tags are key templates filled from the same parameters (e.g. "session:{session_id}").
  std::vector<std::string> tags;
  // Conditional caching: the loaded value is stored only when this returns true (it is returned
  // either way). std::nullopt is the loader's "not found". Typed calls pass the value as
  // CacheCodec<T>::encode wrote it.
  std::function<bool(const std::optional<std::string>&)> cache_if;
  // "Not found" TTL; unset: CacheOptions::negative_ttl; 0: not cached.
  std::optional<std::chrono::milliseconds> negative_ttl;
  // After the TTL the value stays this long more and is served stale while one caller reloads it
  // in the background.
  std::chrono::milliseconds stale_while_revalidate{0};
  // During the last `early_refresh` of the TTL a hit triggers a background reload (the value is
  // never served stale).
  std::chrono::milliseconds early_refresh{0};
  // Application-defined content type, stored in the envelope by the std::string calls; typed
  // calls store CacheCodec<T>::format instead.
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
  // reads whose stored bytes CacheCodec<T> could not decode (or of another format); also misses
  std::uint64_t decode_errors = 0;
};

class Cache {
 public:
  using Loader = CacheLoader<std::string>;
  using KeyFunction = std::function<std::string(const KeyParams&)>;
  using Duration = std::chrono::milliseconds;

  // PTTL-style answers of ttl().
  static constexpr Duration kNoKey{-2};
  static constexpr Duration kNoExpiry{-1};

  // Opens its own Redis pool from options.redis.
  explicit Cache(CacheOptions options = {});
  explicit Cache(const Settings& settings);
  // Shares an existing pool (e.g. with a RateLimiter); options.redis is then ignored.
  Cache(Redis redis, CacheOptions options);

  // --- plain operations (keys without the prefix) ---------------------------------------------
  // The value; std::nullopt when absent, a cached "not found", stale by tag, not a T (a decode
  // error), or Redis unavailable.
  template <class T = std::string>
  std::optional<T> get(const std::string& key);
  // The values of `keys`, in order, in one round trip (a second one reads the generations of the
  // tags the values carry, when they carry any); each as get() would answer. Redis unavailable:
  // all misses.
  template <class T = std::string>
  std::vector<std::optional<T>> mget(const std::vector<std::string>& keys);
  // Stores `value` for `ttl` (default_ttl when unset; 0: no expiry). False when skipped.
  bool set(const std::string& key, std::string_view value, std::optional<Duration> ttl = {},
           const std::vector<std::string>& tags = {});
  template <class T, std::enable_if_t<!std::is_convertible_v<const T&, std::string_view>, int> = 0>
  bool set(const std::string& key, const T& value, std::optional<Duration> ttl = {},
           const std::vector<std::string>& tags = {});
  // Stores every (key, value) with the same TTL and tags in one round trip (one more reads the
  // tags' generations first, when tags are given). Returns the number written: all or 0 (skipped).
  template <class T = std::string>
  std::size_t mset(const std::vector<std::pair<std::string, T>>& items,
                   std::optional<Duration> ttl = {}, const std::vector<std::string>& tags = {});
  // True when the key existed. Keys deleted count in CacheStats::invalidations (both overloads).
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
  // The cached value, or loader()'s stored and returned (with stampede protection): cached_key()
  // without per-call options.
  template <class T = std::string>
  std::optional<T> get_or_set(const std::string& key, const CacheLoader<T>& loader,
                              std::optional<Duration> ttl = {});
  // Deletes every key (below the prefix) matching the glob `pattern` with SCAN + UNLINK.
  // Returns the number deleted (0 when Redis is unavailable).
  std::size_t delete_pattern(const std::string& pattern);

  // --- read-through ---------------------------------------------------------------------------
  // The value for key_template filled from params: from Redis, or from loader() (then stored).
  // std::nullopt: the loader's "not found" (cached too, see negative_ttl). Loader exceptions
  // propagate (to every caller sharing the load) and nothing is stored. The loader is copied and
  // may run later on the background refresh thread (stale_while_revalidate, early_refresh).
  template <class T = std::string>
  std::optional<T> cached(std::string_view key_template, const KeyParams& params,
                          std::optional<Duration> ttl, const CacheLoader<T>& loader,
                          const CachedOptions& options = {});
  // The same with a custom key function.
  template <class T = std::string>
  std::optional<T> cached(const KeyFunction& key_function, const KeyParams& params,
                          std::optional<Duration> ttl, const CacheLoader<T>& loader,
                          const CachedOptions& options = {});
  // The same with a ready key (no template; options.tags are used as they are).
  template <class T = std::string>
  std::optional<T> cached_key(const std::string& key, std::optional<Duration> ttl,
                              const CacheLoader<T>& loader, const CachedOptions& options = {});

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
  std::string redis_key(const std::string& key) const;
  std::string tag_key(const std::string& tag) const;
  const CacheOptions& options() const noexcept;
  // The pool this cache uses (a handle sharing it).
  Redis redis() const;

 private:
  friend struct testing::CacheAccess;

  using Decoder = detail::CacheDecoder;

  template <class T>
  static bool decode_into(std::optional<T>& out, std::string_view bytes,
                          std::uint8_t format) noexcept;
  template <class T>
  std::optional<T> read_through(const std::string& key, const std::vector<std::string>& tags,
                                std::optional<Duration> ttl, const CacheLoader<T>& loader,
                                const CachedOptions& options);

  // The untyped core (cache.cpp). decoder == nullptr: every value is accepted as bytes.
  std::vector<std::optional<std::string>> get_values(const std::vector<std::string>& keys,
                                                     const Decoder* decoder);
  std::size_t set_values(const std::vector<std::pair<std::string, std::string>>& items,
                         std::uint8_t format, std::optional<Duration> ttl,
                         const std::vector<std::string>& tags);
  std::optional<std::string> read_through_bytes(const std::string& key,
                                                const std::vector<std::string>& tags,
                                                std::optional<Duration> ttl, const Loader& loader,
                                                const CachedOptions& options, std::uint8_t format,
                                                const Decoder* decoder);
  std::string key_for(std::string_view key_template, const KeyParams& params) const;
  std::vector<std::string> tags_for(const CachedOptions& options, const KeyParams& params) const;

  std::shared_ptr<detail::CacheImpl> impl_;
};

// --- typed calls
// ----------------------------------------------------------------------------------

template <class T>
bool Cache::decode_into(std::optional<T>& out, std::string_view bytes,
                        std::uint8_t format) noexcept {
  if constexpr (!std::is_same_v<T, std::string>) {
    if (format != CacheCodec<T>::format) return false;
  }
  try {
    out = CacheCodec<T>::decode(bytes);
    return true;
  } catch (...) {
    return false;
  }
}

template <class T>
std::optional<T> Cache::get(const std::string& key) {
  return std::move(mget<T>({key}).front());
}

template <class T>
std::vector<std::optional<T>> Cache::mget(const std::vector<std::string>& keys) {
  if constexpr (std::is_same_v<T, std::string>) {
    return get_values(keys, nullptr);
  } else {
    std::vector<std::optional<T>> out(keys.size());
    const Decoder decoder = [&out](std::size_t i, std::string_view bytes, std::uint8_t format) {
      return decode_into(out[i], bytes, format);
    };
    get_values(keys, &decoder);
    return out;
  }
}

template <class T, std::enable_if_t<!std::is_convertible_v<const T&, std::string_view>, int>>
bool Cache::set(const std::string& key, const T& value, std::optional<Duration> ttl,
                const std::vector<std::string>& tags) {
  return set_values({{key, CacheCodec<T>::encode(value)}}, CacheCodec<T>::format, ttl, tags) == 1;
}

template <class T>
std::size_t Cache::mset(const std::vector<std::pair<std::string, T>>& items,
                        std::optional<Duration> ttl, const std::vector<std::string>& tags) {
  if constexpr (std::is_same_v<T, std::string>) {
    return set_values(items, CacheCodec<T>::format, ttl, tags);
  } else {
    std::vector<std::pair<std::string, std::string>> encoded;
    encoded.reserve(items.size());
    for (const auto& [key, value] : items) encoded.emplace_back(key, CacheCodec<T>::encode(value));
    return set_values(encoded, CacheCodec<T>::format, ttl, tags);
  }
}

template <class T>
std::optional<T> Cache::get_or_set(const std::string& key, const CacheLoader<T>& loader,
                                   std::optional<Duration> ttl) {
  return read_through<T>(key, {}, ttl, loader, {});
}

template <class T>
std::optional<T> Cache::cached(std::string_view key_template, const KeyParams& params,
                               std::optional<Duration> ttl, const CacheLoader<T>& loader,
                               const CachedOptions& options) {
  return read_through<T>(key_for(key_template, params), tags_for(options, params), ttl, loader,
                         options);
}

template <class T>
std::optional<T> Cache::cached(const KeyFunction& key_function, const KeyParams& params,
                               std::optional<Duration> ttl, const CacheLoader<T>& loader,
                               const CachedOptions& options) {
  return read_through<T>(key_function(params), tags_for(options, params), ttl, loader, options);
}

template <class T>
std::optional<T> Cache::cached_key(const std::string& key, std::optional<Duration> ttl,
                                   const CacheLoader<T>& loader, const CachedOptions& options) {
  return read_through<T>(key, options.tags, ttl, loader, options);
}

template <class T>
std::optional<T> Cache::read_through(const std::string& key, const std::vector<std::string>& tags,
                                     std::optional<Duration> ttl, const CacheLoader<T>& loader,
                                     const CachedOptions& options) {
  if constexpr (std::is_same_v<T, std::string>) {
    return read_through_bytes(key, tags, ttl, loader, options, options.format, nullptr);
  } else {
    // A hit is decoded once, by the decoder; a value this call loaded is returned as loaded.
    // `loaded` is shared because the wrapped loader may also run on the refresh thread, which
    // happens only after a hit, when this call no longer reads it.
    std::optional<T> hit;
    auto loaded = std::make_shared<std::optional<T>>();
    const Loader encoding_loader = [loader, loaded]() -> std::optional<std::string> {
      std::optional<T> value = loader();
      if (!value) return std::nullopt;
      std::string bytes = CacheCodec<T>::encode(*value);
      *loaded = std::move(value);
      return bytes;
    };
    const Decoder decoder = [&hit](std::size_t, std::string_view bytes, std::uint8_t format) {
      return decode_into(hit, bytes, format);
    };
    const std::optional<std::string> bytes = read_through_bytes(
        key, tags, ttl, encoding_loader, options, CacheCodec<T>::format, &decoder);
    if (hit) return hit;
    if (!bytes) return std::nullopt;
    if (*loaded) return std::move(*loaded);
    // Loaded by another caller sharing this load (single flight): decode its bytes.
    std::optional<T> shared;
    if (!decode_into(shared, *bytes, CacheCodec<T>::format)) {
      throw ConversionError("pgfast::Cache: CacheCodec::decode failed on a value it encoded");
    }
    return shared;
  }
}

}  // namespace pgfast
