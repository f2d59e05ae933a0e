#include "cache/cache_lease.hpp"

#include <utility>

#include "redis/redis_scan.hpp"
#include "thread_rng.hpp"

namespace pgfast::detail {

namespace {

// Takes lease KEYS[1] for token ARGV[1] for ARGV[2] ms if nobody holds it, and (single node) lists
// it in the namespace's set of leases (KEYS[2]), where a wildcard invalidation finds it
// (kMarkLeases). The set lives twice the lease time after the last lease taken: then every lease
// in it has expired, and so members left by processes that died while loading do not pile up. In
// cluster mode there is no set (it would sit in another slot): the invalidation SCANs for leases.
// Returns 1 when taken.
const char* const kAcquireLease =
    "if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then "
    "  if KEYS[2] then "
    "    redis.call('SADD', KEYS[2], KEYS[1]) "
    "    redis.call('PEXPIRE', KEYS[2], 2 * tonumber(ARGV[2])) "
    "  end "
    "  return 1 "
    "end "
    "return 0";
// Deletes the lease only when it still holds our token, possibly marked by an invalidation (a
// lease that expired and was taken by another process is not ours to delete), and unlists it
// from the set KEYS[2] (single node).
const char* const kReleaseLease =
    "local v = redis.call('GET', KEYS[1]) "
    "if v == ARGV[1] or v == 'inv:' .. ARGV[1] then "
    "  if KEYS[2] then redis.call('SREM', KEYS[2], KEYS[1]) end "
    "  return redis.call('DEL', KEYS[1]) "
    "end "
    "return 0";
// Marks every listed lease (set KEYS[1]) matching pattern ARGV[1] as invalidated, as
// CacheStore's kInvalidateKeys does for exact keys; unlists leases that are gone (expired, or
// their process died). Returns the number marked.
const char* const kMarkLeases =
    "local n = 0 "
    "local cursor = '0' "
    "repeat "
    "  local r = redis.call('SSCAN', KEYS[1], cursor, 'MATCH', ARGV[1], 'COUNT', 1000) "
    "  cursor = r[1] "
    "  for _, lease in ipairs(r[2]) do "
    "    local v = redis.call('GET', lease) "
    "    if not v then redis.call('SREM', KEYS[1], lease) "
    "    elseif string.sub(v, 1, 4) ~= 'inv:' then "
    "      redis.call('SET', lease, 'inv:' .. v, 'KEEPTTL') n = n + 1 "
    "    end "
    "  end "
    "until cursor == '0' "
    "return n";
// Cluster mode: marks the one lease KEYS[1] found by SCAN (it may have gone since). Returns 1 when
// marked.
const char* const kMarkLease =
    "local v = redis.call('GET', KEYS[1]) "
    "if v and string.sub(v, 1, 4) ~= 'inv:' then "
    "  redis.call('SET', KEYS[1], 'inv:' .. v, 'KEEPTTL') return 1 "
    "end "
    "return 0";

std::string random_token() {
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 2; ++i) {
    std::uint64_t v = thread_rng()();
    for (int j = 0; j < 16; ++j, v >>= 4) out += hex[v & 0xF];
  }
  return out;
}

}  // namespace

CacheLeases::CacheLeases(Redis redis, const CacheKeyLayout& layout,
                         std::chrono::milliseconds lease_ttl)
    : redis_(std::move(redis)),
      layout_(layout),
      lease_ttl_(lease_ttl),
      acquire_script_(kAcquireLease),
      release_script_(kReleaseLease),
      mark_script_(layout.cluster() ? kMarkLease : kMarkLeases) {}

std::string CacheLeases::lease_key(const std::string& full_key) const {
  return layout_.lease_key(full_key);
}

std::vector<std::string> CacheLeases::script_keys(const std::string& lease) const {
  if (layout_.cluster()) return {lease};
  return {lease, layout_.leases_set_key()};
}

std::optional<LeaseHold> CacheLeases::acquire(const std::string& full_key) {
  LeaseHold held{lease_key(full_key), random_token()};
  const bool taken =
      acquire_script_
          .run(redis_, script_keys(held.key), {held.token, std::to_string(lease_ttl_.count())})
          .integer() == 1;
  if (!taken) return std::nullopt;
  return held;
}

void CacheLeases::release(const LeaseHold& held) {
  release_script_.run(redis_, script_keys(held.key), {held.token});
}

bool CacheLeases::held(const std::string& full_key) {
  return redis_.command({"EXISTS", lease_key(full_key)}).integer() == 1;
}

std::size_t CacheLeases::mark_matching(const std::string& pattern) {
  const std::string leases = layout_.lease_pattern(pattern);
  if (!layout_.cluster()) {
    return static_cast<std::size_t>(
        mark_script_.run(redis_, {layout_.leases_set_key()}, {leases}).integer());
  }
  std::size_t marked = 0;
  scan_keys(redis_, leases, [&](const std::vector<std::string>& found) {
    std::vector<RedisScript::Call> calls;
    calls.reserve(found.size());
    for (const auto& lease : found) calls.push_back({{lease}, {}});
    for (const auto& r : mark_script_.run_each(redis_, calls)) {
      marked += static_cast<std::size_t>(r.throw_if_error().integer());
    }
  });
  return marked;
}

}  // namespace pgfast::detail
