#include "cache/cache_store.hpp"

#include <algorithm>

#include "redis/redis_scan.hpp"
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
// Deletes keys (KEYS: a key, its lease, the next key, its lease, ...; in cluster mode all in one
// slot, one call per slot) and marks the lease of a
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
// invalidate, and INCR would create a key without expiry): one command for any number of tags
// (in cluster mode, one per slot the tags fall in).
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

using SlotGroups = std::vector<std::vector<std::size_t>>;

// Appends one `verb` (MGET, UNLINK) per group of `keys` (CacheKeyLayout::slot_groups).
void append_per_slot(std::vector<Argv>& commands, const char* verb,
                     const std::vector<std::string>& keys, const SlotGroups& groups) {
  for (const auto& group : groups) {
    Argv command{verb};
    command.reserve(group.size() + 1);
    for (std::size_t i : group) command.push_back(keys[i]);
    commands.push_back(std::move(command));
  }
}

// One script call per group; add_keys(i, keys) appends the script keys of the group's member i.
template <class AddKeys>
std::vector<RedisScript::Call> calls_per_slot(const SlotGroups& groups, AddKeys add_keys) {
  std::vector<RedisScript::Call> calls;
  calls.reserve(groups.size());
  for (const auto& group : groups) {
    RedisScript::Call call;
    for (std::size_t i : group) add_keys(i, call.keys);
    calls.push_back(std::move(call));
  }
  return calls;
}

// The reply for each key of MGETs appended by append_per_slot, whose first reply is replies[first].
std::vector<const RedisReply*> key_replies(const std::vector<RedisReply>& replies,
                                           std::size_t first, const SlotGroups& groups,
                                           std::size_t key_count) {
  std::vector<const RedisReply*> out(key_count);
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const RedisReply& mget = replies[first + g];
    for (std::size_t j = 0; j < groups[g].size(); ++j) out[groups[g][j]] = &mget[j];
  }
  return out;
}

}  // namespace

CacheStore::CacheStore(Redis redis, const CacheKeyLayout& layout, const CacheOptions& options,
                       CacheStatsCounters& counters)
    : layout_(layout),
      o_(options),
      c_(counters),
      redis_(std::move(redis)),
      store_script_(kStoreUnderLease),
      invalidate_keys_script_(kInvalidateKeys),
      bump_tags_script_(kBumpTags) {}

TagGenerations CacheStore::read_tags(const std::vector<std::string>& tags) {
  TagGenerations out;
  if (tags.empty()) return out;
  std::vector<std::string> keys;
  keys.reserve(tags.size());
  for (const auto& t : tags) keys.push_back(tag_key(t));
  const auto groups = layout_.slot_groups(keys);
  std::vector<Argv> commands;
  append_per_slot(commands, "MGET", keys, groups);
  const std::vector<RedisReply> replies = exchange(commands);
  const auto generations = key_replies(replies, 0, groups, keys.size());
  for (std::size_t i = 0; i < tags.size(); ++i) {
    out.emplace_back(tags[i], parse_generation(*generations[i]));
  }
  return out;
}

std::vector<Lookup> CacheStore::lookup_many(const std::vector<std::string>& full_keys,
                                            const std::vector<std::string>& call_tags,
                                            const CacheDecoder* decoder) {
  // The values and the call's tags in one round trip (one MGET per slot in cluster mode).
  std::vector<std::string> call_tag_keys;
  call_tag_keys.reserve(call_tags.size());
  for (const auto& t : call_tags) call_tag_keys.push_back(tag_key(t));
  const auto value_groups = layout_.slot_groups(full_keys);
  const auto tag_groups = layout_.slot_groups(call_tag_keys);
  std::vector<Argv> commands;
  append_per_slot(commands, "MGET", full_keys, value_groups);
  append_per_slot(commands, "MGET", call_tag_keys, tag_groups);
  const std::vector<RedisReply> replies = exchange(commands);
  const auto values = key_replies(replies, 0, value_groups, full_keys.size());
  const auto tag_values =
      key_replies(replies, value_groups.size(), tag_groups, call_tag_keys.size());
  TagGenerations call_generations;
  for (std::size_t i = 0; i < call_tags.size(); ++i) {
    call_generations.emplace_back(call_tags[i], parse_generation(*tag_values[i]));
  }
  std::vector<DecodedEntry> decoded(full_keys.size());
  std::vector<std::string> unknown;
  for (std::size_t i = 0; i < full_keys.size(); ++i) {
    if (values[i]->is_nil()) continue;
    decoded[i] = decode_entry(values[i]->str());
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
    if (values[i]->is_nil()) continue;
    DecodedEntry& d = decoded[i];
    if (d.status == DecodedEntry::Status::corrupt) continue;
    if (d.status == DecodedEntry::Status::not_envelope) d.entry.value = values[i]->str();
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

// Runs the commands in one round trip (one command on its own, several as a pipeline); throws
// the first error reply.
std::vector<RedisReply> CacheStore::exchange(const std::vector<Argv>& commands) {
  std::vector<RedisReply> replies;
  if (commands.size() == 1) {
    replies.push_back(redis_.command(commands[0]));
  } else if (!commands.empty()) {
    replies = redis_.pipeline(commands);
    for (const auto& r : replies) r.throw_if_error();
  }
  return replies;
}

void CacheStore::run_all(const std::vector<Argv>& commands) {
  exchange(commands);
}

// Runs `script` once per call: one EVALSHA on its own, several in one pipeline; throws the first
// error reply.
std::vector<RedisReply> CacheStore::run_script(const RedisScript& script,
                                               const std::vector<RedisScript::Call>& calls) {
  std::vector<RedisReply> replies;
  if (calls.size() == 1) {
    replies.push_back(script.run(redis_, calls[0].keys, calls[0].args));
  } else if (!calls.empty()) {
    replies = script.run_each(redis_, calls);
    for (const auto& r : replies) r.throw_if_error();
  }
  return replies;
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
  std::vector<std::string> full_keys;
  full_keys.reserve(keys.size());
  for (const auto& k : keys) full_keys.push_back(redis_key(k));
  const auto calls = calls_per_slot(layout_.slot_groups(full_keys),
                                    [&](std::size_t i, std::vector<std::string>& script_keys) {
                                      script_keys.push_back(full_keys[i]);
                                      script_keys.push_back(leases.lease_key(full_keys[i]));
                                    });
  std::size_t deleted = 0;
  for (const auto& r : run_script(invalidate_keys_script_, calls)) {
    deleted += static_cast<std::size_t>(r.integer());
  }
  c_.invalidations.fetch_add(deleted, std::memory_order_relaxed);
  return deleted;
}

std::size_t CacheStore::scan_unlink(const std::string& pattern) {
  std::size_t deleted = 0;
  scan_keys(redis_, pattern, [&](const std::vector<std::string>& keys) {
    std::vector<Argv> unlinks;
    append_per_slot(unlinks, "UNLINK", keys, layout_.slot_groups(keys));
    std::size_t batch = 0;
    for (const auto& r : exchange(unlinks)) batch += static_cast<std::size_t>(r.integer());
    // Counted as they go: a master that fails later does not undo what was deleted.
    c_.invalidations.fetch_add(batch, std::memory_order_relaxed);
    deleted += batch;
  });
  return deleted;
}

void CacheStore::bump_tags(const std::vector<std::string>& tags) {
  std::vector<std::string> keys;
  keys.reserve(tags.size());
  for (const auto& t : tags) keys.push_back(tag_key(t));
  run_script(bump_tags_script_,
             calls_per_slot(layout_.slot_groups(keys),
                            [&](std::size_t i, std::vector<std::string>& script_keys) {
                              script_keys.push_back(keys[i]);
                            }));
  c_.invalidations.fetch_add(tags.size(), std::memory_order_relaxed);
}

}  // namespace pgfast::detail
