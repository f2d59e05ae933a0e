// pgfast::detail::CacheStore: the Cache's entries and tags in Redis. Reads values with their tags'
// generations (one pipeline), writes envelopes (pipelined with the tags they create; under a
// lease through a script that checks it), deletes keys (marking their leases) and bumps tags.
// In cluster mode every multi-key command and script is split per hash slot
// (CacheKeyLayout::slot_groups) and the parts sent in one pipeline; single node: one command.
// Every call throws RedisError; counting falls-through and skipping writes is the caller's.
// Thread safety: thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cache/cache_envelope.hpp"
#include "cache/cache_key_layout.hpp"
#include "cache/cache_lease.hpp"
#include "cache/cache_stats_counters.hpp"
#include "pgfast/cache/cache.hpp"
#include "redis/redis_script.hpp"

namespace pgfast::detail {

// The current generations of a set of tags (nullopt: the tag key does not exist).
using TagGenerations = std::vector<std::pair<std::string, std::optional<std::int64_t>>>;

struct Lookup {
  enum class State { miss, hit, unavailable };
  State state = State::miss;
  CacheEntry entry;
  bool refresh_due = false;
  TagGenerations tags;  // the generations of the call's tags, read with the value
};

inline const Lookup kUnavailable{Lookup::State::unavailable, {}, false, {}};

class CacheStore {
 public:
  using Duration = std::chrono::milliseconds;

  // `layout`, `options` and `counters` must outlive the store (all are the CacheImpl's).
  CacheStore(Redis redis, const CacheKeyLayout& layout, const CacheOptions& options,
             CacheStatsCounters& counters);
  CacheStore(const CacheStore&) = delete;
  CacheStore& operator=(const CacheStore&) = delete;

  std::string redis_key(const std::string& key) const { return layout_.value_key(key); }
  std::string tag_key(const std::string& tag) const { return layout_.tag_key(tag); }

  TagGenerations read_tags(const std::vector<std::string>& tags);

  // Reads the values of `full_keys` and (in the same round trip) the generations of
  // `call_tags`; a second round trip reads the other tags the values carry. With a decoder, a
  // value it rejects is a miss (counted in decode_errors).
  std::vector<Lookup> lookup_many(const std::vector<std::string>& full_keys,
                                  const std::vector<std::string>& call_tags,
                                  const CacheDecoder* decoder);
  Lookup lookup(const std::string& full_key, const std::vector<std::string>& tags,
                const CacheDecoder* decoder);

  // Writes `value` (std::nullopt: a "not found" entry) with the tag generations read before the
  // value was loaded; with `held`, only if that lease was not invalidated meanwhile. Returns
  // whether the value was written.
  bool store(const std::string& full_key, const std::optional<std::string>& value, Duration ttl,
             const CachedOptions& options, std::uint8_t format, const TagGenerations& tags,
             const LeaseHold* held = nullptr);

  // Writes every (key without the prefix, bytes) with the same format, TTL and tags: one round
  // trip (after one reading the tags' generations, when there are tags).
  std::size_t store_many(const std::vector<std::pair<std::string, std::string>>& items,
                         std::uint8_t format, Duration ttl, const std::vector<std::string>& tags);

  // Deletes `keys` (without the prefix) and marks the loads in flight for them (their leases in
  // `leases`). Returns (and counts as invalidations) the number deleted.
  std::size_t delete_keys(const std::vector<std::string>& keys, const CacheLeases& leases);

  // SCAN (every master in cluster mode) + UNLINK of the keys matching `pattern` (prefix
  // included). Returns (and counts as
  // invalidations) the number deleted.
  std::size_t scan_unlink(const std::string& pattern);

  // Bumps the generation of every tag that exists (one script call); counts every tag given as
  // an invalidation.
  void bump_tags(const std::vector<std::string>& tags);

 private:
  std::vector<std::vector<std::string>> tag_setup(
      const TagGenerations& tags,
      std::vector<std::pair<std::string, std::int64_t>>& recorded) const;
  std::vector<RedisReply> exchange(const std::vector<std::vector<std::string>>& commands);
  void run_all(const std::vector<std::vector<std::string>>& commands);
  std::vector<RedisReply> run_script(const RedisScript& script,
                                     const std::vector<RedisScript::Call>& calls);

  const CacheKeyLayout& layout_;
  const CacheOptions& o_;
  CacheStatsCounters& c_;
  Redis redis_;
  RedisScript store_script_;
  RedisScript invalidate_keys_script_;
  RedisScript bump_tags_script_;
};

}  // namespace pgfast::detail
