#include "cache/cache_lease.hpp"

#include <utility>

#include "pgfast/cache/key_template.hpp"
#include "thread_rng.hpp"

namespace pgfast::detail {

namespace {

// Takes lease KEYS[1] for token ARGV[1] for ARGV[2] ms if nobody holds it, and lists it in the
// namespace's set of leases (KEYS[2]), where a wildcard invalidation finds it (kMarkLeases). The
// set lives twice the lease time after the last lease taken: then every lease in it has expired,
// and so members left by processes that died while loading do not pile up. Returns 1 when taken.
const char* const kAcquireLease =
    "if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then "
    "  redis.call('SADD', KEYS[2], KEYS[1]) "
    "  redis.call('PEXPIRE', KEYS[2], 2 * tonumber(ARGV[2])) "
    "  return 1 "
    "end "
    "return 0";
// Deletes the lease only when it still holds our token, possibly marked by an invalidation (a
// lease that expired and was taken by another process is not ours to delete), and unlists it.
const char* const kReleaseLease =
    "local v = redis.call('GET', KEYS[1]) "
    "if v == ARGV[1] or v == 'inv:' .. ARGV[1] then "
    "  redis.call('SREM', KEYS[2], KEYS[1]) return redis.call('DEL', KEYS[1]) "
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

const char* const kLeaseInfix = "#lease:";

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

CacheLeases::CacheLeases(Redis redis, std::string key_prefix, std::chrono::milliseconds lease_ttl)
    : redis_(std::move(redis)),
      key_prefix_(std::move(key_prefix)),
      lease_ttl_(lease_ttl),
      acquire_script_(kAcquireLease),
      release_script_(kReleaseLease),
      mark_script_(kMarkLeases) {}

std::string CacheLeases::lease_key(const std::string& full_key) const {
  return key_prefix_ + kLeaseInfix + full_key.substr(key_prefix_.size());
}

std::string CacheLeases::leases_key() const {
  return key_prefix_ + "#leases";
}

std::optional<LeaseHold> CacheLeases::acquire(const std::string& full_key) {
  LeaseHold held{lease_key(full_key), random_token()};
  const bool taken =
      acquire_script_
          .run(redis_, {held.key, leases_key()}, {held.token, std::to_string(lease_ttl_.count())})
          .integer() == 1;
  if (!taken) return std::nullopt;
  return held;
}

void CacheLeases::release(const LeaseHold& held) {
  release_script_.run(redis_, {held.key, leases_key()}, {held.token});
}

bool CacheLeases::held(const std::string& full_key) {
  return redis_.command({"EXISTS", lease_key(full_key)}).integer() == 1;
}

std::size_t CacheLeases::mark_matching(const std::string& pattern) {
  return static_cast<std::size_t>(
      mark_script_.run(redis_, {leases_key()}, {escape_glob(key_prefix_ + kLeaseInfix) + pattern})
          .integer());
}

}  // namespace pgfast::detail
