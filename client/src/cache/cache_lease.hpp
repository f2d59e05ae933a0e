// pgfast::detail::CacheLeases: the Cache's stampede lock across processes. A loader takes the
// key's lease (CacheKeyLayout::lease_key: SET NX PX lease_ttl with a random 128-bit token) and only
// its owner releases it (compare-and-delete). An invalidation by pattern finds the leases of the
// loads in flight and marks them ('inv:' + token): a marked lease's loader does not store its
// value (CacheStore::store, under a held lease). Single node: taken leases are listed in
// `<prefix>#leases`, and marking is one script over that set. Cluster mode: no set (a lease must
// share its key's slot); marking SCANs every master for lease keys. Every other call is one
// script round trip.
// Thread safety: thread-safe (Redis is a handle, the scripts are).
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include <vector>

#include "cache/cache_key_layout.hpp"
#include "pgfast/redis/redis.hpp"
#include "redis/redis_script.hpp"

namespace pgfast::detail {

// A lease this loader holds: its value is stored only while the lease is still its own and
// unmarked.
struct LeaseHold {
  std::string key;  // the lease's Redis key
  std::string token;
};

class CacheLeases {
 public:
  // `layout` must outlive the leases (it is the CacheImpl's).
  CacheLeases(Redis redis, const CacheKeyLayout& layout, std::chrono::milliseconds lease_ttl);
  CacheLeases(const CacheLeases&) = delete;
  CacheLeases& operator=(const CacheLeases&) = delete;

  // The lease key of a cache entry's full Redis key (prefix included).
  std::string lease_key(const std::string& full_key) const;

  // Takes the lease of `full_key` with a new token; nullopt when another loader holds it.
  // Throws RedisError.
  std::optional<LeaseHold> acquire(const std::string& full_key);

  // Deletes and unlists the lease if it still holds our token (marked or not): a lease that
  // expired and was taken by another loader stays. Throws RedisError.
  void release(const LeaseHold& held);

  // Whether anyone holds the lease of `full_key`. Throws RedisError.
  bool held(const std::string& full_key);

  // Marks the lease of every load in flight whose key (without the prefix) matches the glob
  // `pattern`; single node: unlists leases that are gone. Returns the number marked. Throws
  // RedisError.
  std::size_t mark_matching(const std::string& pattern);

 private:
  // A lease script's keys: the lease, and (single node) the set listing the leases.
  std::vector<std::string> script_keys(const std::string& lease) const;

  Redis redis_;
  const CacheKeyLayout& layout_;
  const std::chrono::milliseconds lease_ttl_;
  RedisScript acquire_script_;
  RedisScript release_script_;
  RedisScript mark_script_;
};

}  // namespace pgfast::detail
