#include "cache/cache_store.hpp"

#include <algorithm>

#include "thread_rng.hpp"

namespace pgfast::detail {

namespace {

using Clock = std::chrono::system_clock;
using Duration = CacheStore::Duration;
using Argv = std::vector<std::string>;

// SET KEYS[1] ARGV[2] (PX ARGV[3] unless '0') for the holder of lease KEYS[2] (token ARGV[1]);
// nothing when the lease was marked by an invalidation or is held by another loader (whose value
// is at least as fresh). A lease that expired (a load longer than lease_ttl) protects nothing:
// the value is stored. Returns 1 when stored.
const char* const kStoreUnderLease =
    "local v = redis.call('GET', KEYS[2]) "
    "if v and v ~= ARGV[1] then return 0 end "
    "if ARGV[3] == '0' then redis.call('SET', KEYS[1], ARGV[2]) "
    "else redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) end "
    "return 1";
// Deletes keys (KEYS: a key, its lease, the next key, its lease, ...) and marks the lease of a
// load in flight for one of them ('inv:' + its token): that load may have read its data before
// the change being invalidated, so kStoreUnderLease will not store its value. Returns the number
// of keys deleted.
const char* const kInvalidateKeys =
    "local n = 0 "
    "for i = 1, #KEYS, 2 do "
    "  n = n + redis.call('UNLINK', KEYS[i]) "
    "  local v = redis.call('GET', KEYS[i + 1]) "
    "  if v and string.sub(v, 1, 4) ~= 'inv:' then "
    "    redis.call('SET', KEYS[i + 1], 'inv:' .. v, 'KEEPTTL') "
    "  end "
    "end "
    "return n";
// Bumps the generation of every tag given that exists (a tag nobody stored under has nothing to
// invalidate, and INCR would create a key without expiry): one command for any number of tags.
const char* const kBumpTags =
    "local n = 0 "
    "for _, key in ipairs(KEYS) do "
    "  if redis.call('EXISTS', key) == 1 then redis.call('INCR', key) n = n + 1 end "
    "end "
    "return n";

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch())
      .count();
}

// Generations start at a random positive value, so a tag key that expired or was deleted and
// then created again never matches the generation an old entry recorded.
std::int64_t random_generation() {
  return static_cast<std::int64_t>(thread_rng()() >> 2) + 1;
}

std::optional<std::int64_t> parse_generation(const RedisReply& reply) {
  if (reply.is_integer()) return reply.integer();
  if (!reply.is_string()) return std::nullopt;
  try {
    std::size_t used = 0;
    const long long v = std::stoll(reply.str(), &used);
    if (used != reply.str().size()) return std::nullopt;
    return v;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::optional<std::optional<std::int64_t>> find_tag(const TagGenerations& known,
                                                    const std::string& name) {
  for (const auto& [n, g] : known) {
    if (n == name) return g;
  }
  return std::nullopt;
}

// Every tag the entry carries still has the generation it was stored with.
bool tags_current(const CacheEntry& entry, const TagGenerations& known,
                  const TagGenerations& extra) {
  for (const auto& [name, generation] : entry.tags) {
    auto current = find_tag(known, name);
    if (!current) current = find_tag(extra, name);
    if (!current || !*current || **current != generation) return false;
  }
  return true;
}

Argv set_command(const std::string& full_key, std::string bytes, Duration keep) {
  Argv set{"SET", full_key, std::move(bytes)};
  if (keep.count() > 0) {
    set.push_back("PX");
    set.push_back(std::to_string(keep.count()));
  }
  return set;
}

}  // namespace

CacheStore::CacheStore(Redis redis, const CacheOptions& options, CacheStatsCounters& counters)
    : o_(options),
      c_(counters),
      redis_(std::move(redis)),
      store_script_(kStoreUnderLease),
      invalidate_keys_script_(kInvalidateKeys),
      bump_tags_script_(kBumpTags) {}

TagGenerations CacheStore::read_tags(const std::vector<std::string>& tags) {
  TagGenerations out;
  if (tags.empty()) return out;
  Argv mget{"MGET"};
  for (const auto& t : tags) mget.push_back(tag_key(t));
  const RedisReply r = redis_.command(mget);
  for (std::size_t i = 0; i < tags.size(); ++i) out.emplace_back(tags[i], parse_generation(r[i]));
  return out;
}

std::vector<Lookup> CacheStore::lookup_many(const std::vector<std::string>& full_keys,
                                            const std::vector<std::string>& call_tags,
                                            const CacheDecoder* decoder) {
  Argv mget_values{"MGET"};
  mget_values.insert(mget_values.end(), full_keys.begin(), full_keys.end());
  RedisReply values;
  TagGenerations call_generations;
  if (call_tags.empty()) {
    values = redis_.command(mget_values);
  } else {
    Argv mget_tags{"MGET"};
    for (const auto& t : call_tags) mget_tags.push_back(tag_key(t));
    auto replies = redis_.pipeline({mget_values, mget_tags});
    replies[0].throw_if_error();
    replies[1].throw_if_error();
    values = std::move(replies[0]);
    for (std::size_t i = 0; i < call_tags.size(); ++i) {
      call_generations.emplace_back(call_tags[i], parse_generation(replies[1][i]));
    }
  }
  std::vector<DecodedEntry> decoded(full_keys.size());
  std::vector<std::string> unknown;
  for (std::size_t i = 0; i < full_keys.size(); ++i) {
    if (values[i].is_nil()) continue;
    decoded[i] = decode_entry(values[i].str());
    for (const auto& [name, generation] : decoded[i].entry.tags) {
      if (!find_tag(call_generations, name) &&
          std::find(unknown.begin(), unknown.end(), name) == unknown.end()) {
        unknown.push_back(name);
      }
    }
  }
  const TagGenerations extra = read_tags(unknown);
  std::vector<Lookup> out(full_keys.size());
  for (std::size_t i = 0; i < full_keys.size(); ++i) {
    Lookup& lk = out[i];
    lk.tags = call_generations;
    if (values[i].is_nil()) continue;
    DecodedEntry& d = decoded[i];
    if (d.status == DecodedEntry::Status::corrupt) continue;
    if (d.status == DecodedEntry::Status::not_envelope) d.entry.value = values[i].str();
    if (!tags_current(d.entry, call_generations, extra)) continue;
    if (!d.entry.negative && decoder != nullptr && !(*decoder)(i, d.entry.value, d.entry.format)) {
      c_.decode_errors.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    lk.entry = std::move(d.entry);
    lk.state = Lookup::State::hit;
    lk.refresh_due = lk.entry.refresh_after_ms != 0 && now_ms() >= lk.entry.refresh_after_ms;
  }
  return out;
}

Lookup CacheStore::lookup(const std::string& full_key, const std::vector<std::string>& tags,
                          const CacheDecoder* decoder) {
  return std::move(lookup_many({full_key}, tags, decoder).front());
}

// The SET NX commands creating the tags that do not exist yet (at a random generation), and the
// generation of every tag, to record in the entries stored with them.
std::vector<Argv> CacheStore::tag_setup(
    const TagGenerations& tags, std::vector<std::pair<std::string, std::int64_t>>& recorded) const {
  std::vector<Argv> commands;
  for (const auto& [name, generation] : tags) {
    const std::int64_t g = generation ? *generation : random_generation();
    if (!generation) {
      commands.push_back({"SET", tag_key(name), std::to_string(g), "NX", "PX",
                          std::to_string(o_.tag_ttl.count())});
    }
    recorded.emplace_back(name, g);
  }
  return commands;
}

// Runs the commands in one round trip; throws the first error reply.
void CacheStore::run_all(const std::vector<Argv>& commands) {
  if (commands.size() == 1) {
    redis_.command(commands[0]);
  } else if (!commands.empty()) {
    for (const auto& r : redis_.pipeline(commands)) r.throw_if_error();
  }
}

bool CacheStore::store(const std::string& full_key, const std::optional<std::string>& value,
                       Duration ttl, const CachedOptions& options, std::uint8_t format,
                       const TagGenerations& tags, const LeaseHold* held) {
  CacheEntry e;
  e.negative = !value.has_value();
  if (value) e.value = *value;
  e.format = format;
  e.stored_at_ms = now_ms();
  Duration keep = ttl;
  if (ttl.count() > 0 && !e.negative) {
    if (options.stale_while_revalidate.count() > 0 || options.early_refresh.count() > 0) {
      const Duration fresh = std::max(Duration(0), ttl - options.early_refresh);
      e.refresh_after_ms = e.stored_at_ms + fresh.count();
      keep = ttl + options.stale_while_revalidate;
    }
  }
  std::vector<Argv> commands = tag_setup(tags, e.tags);
  const EncodedEntry encoded = encode_entry(e, {o_.compress_threshold, o_.compression_level});
  if (held != nullptr) {
    run_all(commands);
    const RedisReply stored = store_script_.run(
        redis_, {full_key, held->key},
        {held->token, encoded.bytes,
         std::to_string(std::max<long long>(0, static_cast<long long>(keep.count())))});
    if (stored.integer() != 1) return false;
  } else {
    commands.push_back(set_command(full_key, encoded.bytes, keep));
    run_all(commands);
  }
  c_.sets.fetch_add(1, std::memory_order_relaxed);
  c_.bytes_saved.fetch_add(encoded.bytes_saved, std::memory_order_relaxed);
  return true;
}

std::size_t CacheStore::store_many(const std::vector<std::pair<std::string, std::string>>& items,
                                   std::uint8_t format, Duration ttl,
                                   const std::vector<std::string>& tags) {
  const TagGenerations generations = read_tags(tags);
  CacheEntry e;
  e.format = format;
  e.stored_at_ms = now_ms();
  std::vector<Argv> commands = tag_setup(generations, e.tags);
  std::size_t bytes_saved = 0;
  for (const auto& [key, bytes] : items) {
    e.value = bytes;
    EncodedEntry encoded = encode_entry(e, {o_.compress_threshold, o_.compression_level});
    bytes_saved += encoded.bytes_saved;
    commands.push_back(set_command(redis_key(key), std::move(encoded.bytes), ttl));
  }
  run_all(commands);
  c_.sets.fetch_add(items.size(), std::memory_order_relaxed);
  c_.bytes_saved.fetch_add(bytes_saved, std::memory_order_relaxed);
  return items.size();
}

std::size_t CacheStore::delete_keys(const std::vector<std::string>& keys,
                                    const CacheLeases& leases) {
  std::vector<std::string> script_keys;
  script_keys.reserve(keys.size() * 2);
  for (const auto& k : keys) {
    script_keys.push_back(redis_key(k));
    script_keys.push_back(leases.lease_key(script_keys.back()));
  }
  const auto deleted =
      static_cast<std::size_t>(invalidate_keys_script_.run(redis_, script_keys, {}).integer());
  c_.invalidations.fetch_add(deleted, std::memory_order_relaxed);
  return deleted;
}

std::size_t CacheStore::scan_unlink(const std::string& pattern) {
  std::size_t deleted = 0;
  std::string cursor = "0";
  do {
    const RedisReply r = redis_.command({"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"});
    cursor = r[0].str();
    const auto& keys = r[1].elements();
    if (keys.empty()) continue;
    Argv unlink{"UNLINK"};
    unlink.reserve(keys.size() + 1);
    for (const auto& k : keys) unlink.push_back(k.str());
    deleted += static_cast<std::size_t>(redis_.command(unlink).integer());
  } while (cursor != "0");
  c_.invalidations.fetch_add(deleted, std::memory_order_relaxed);
  return deleted;
}

void CacheStore::bump_tags(const std::vector<std::string>& tags) {
  std::vector<std::string> keys;
  keys.reserve(tags.size());
  for (const auto& t : tags) keys.push_back(tag_key(t));
  bump_tags_script_.run(redis_, keys, {});
  c_.invalidations.fetch_add(tags.size(), std::memory_order_relaxed);
}

}  // namespace pgfast::detail
