#include "pgfast/cache.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <random>
#include <system_error>
#include <thread>
#include <unordered_set>

#include "cache_envelope.hpp"
#include "metric_counter.hpp"
#include "metric_families.hpp"
#include "redis_script.hpp"
#include "pgfast/settings.hpp"
#include "pgfast/testing/cache_access.hpp"
#include "redis_script.hpp"
#include "single_flight.hpp"

namespace pgfast {

namespace {

using Clock = std::chrono::system_clock;
using Duration = Cache::Duration;
using Argv = std::vector<std::string>;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch())
      .count();
}

// Thread-local generator seeded from the OS: lease tokens and initial tag generations.
std::mt19937_64& rng() {
  thread_local std::mt19937_64 generator([] {
    std::random_device device;
    return (static_cast<std::uint64_t>(device()) << 32) ^ device();
  }());
  return generator;
}

std::string random_token() {
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 2; ++i) {
    std::uint64_t v = rng()();
    for (int j = 0; j < 16; ++j, v >>= 4) out += hex[v & 0xF];
  }
  return out;
}

// Generations start at a random positive value, so a tag key that expired or was deleted and
// then created again never matches the generation an old entry recorded.
std::int64_t random_generation() {
  return static_cast<std::int64_t>(rng()() >> 2) + 1;
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
// kInvalidateKeys does for exact keys; unlists leases that are gone (expired, or their process
// died). Returns the number marked.
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
// Bumps the generation of every tag given that exists (a tag nobody stored under has nothing to
// invalidate, and INCR would create a key without expiry): one command for any number of tags.
const char* const kBumpTags =
    "local n = 0 "
    "for _, key in ipairs(KEYS) do "
    "  if redis.call('EXISTS', key) == 1 then redis.call('INCR', key) n = n + 1 end "
    "end "
    "return n";

}  // namespace

CacheOptions CacheOptions::from_settings(const Settings& settings) {
  CacheOptions o;
  // Only what Settings names; the tuned timeouts stay CacheOptions{}'s (RedisOptions::for_cache).
  const RedisOptions named = RedisOptions::from_settings(settings);
  o.redis.url = named.url;
  o.redis.max_connections = named.max_connections;
  o.enabled = settings.cache_enabled;
  o.default_ttl = settings.cache_default_ttl;
  return o;
}

// The current generations of a set of tags (nullopt: the tag key does not exist).
using TagGenerations = std::vector<std::pair<std::string, std::optional<std::int64_t>>>;

struct Lookup {
  enum class State { miss, hit, unavailable };
  State state = State::miss;
  CacheEntry entry;
  bool refresh_due = false;
  TagGenerations tags;  // the generations of the call's tags, read with the value
};

const Lookup kUnavailable{Lookup::State::unavailable, {}, false, {}};

// The lease a loader holds while it loads a key: its value is stored only while the lease is
// still its own and unmarked (kStoreUnderLease).
struct LeaseHold {
  std::string key;
  std::string token;
};

struct RefreshTask {
  std::string key;  // full Redis key
  Duration ttl;
  Cache::Loader loader;
  CachedOptions options;
  std::vector<std::string> tags;  // filled tag names
  std::uint8_t format = 0;
};

namespace detail {

class CacheImpl {
 public:
  CacheImpl(Redis redis, CacheOptions options) : o_(std::move(options)), redis_(std::move(redis)) {
    if (o_.default_ttl.count() < 0 || o_.negative_ttl.count() < 0) {
      throw ConfigurationError("pgfast::Cache: TTLs must not be negative");
    }
    if (o_.lease_ttl.count() <= 0 || o_.lease_wait.count() < 0 || o_.tag_ttl.count() <= 0) {
      throw ConfigurationError(
          "pgfast::Cache: lease_ttl and tag_ttl must be positive, lease_wait not negative");
    }
    detail::bind_cache_metrics(
        o_.metrics.get(), o_.metrics_name,
        {c.hits, c.misses, c.loads, c.load_errors, c.sets, c.errors, c.invalidations});
  }
  ~CacheImpl() { stop_worker(); }
  CacheImpl(const CacheImpl&) = delete;
  CacheImpl& operator=(const CacheImpl&) = delete;

  std::string redis_key(const std::string& key) const { return o_.key_prefix + key; }
  std::string tag_key(const std::string& tag) const { return o_.key_prefix + "#tag:" + tag; }

  struct Counters {
    detail::Counter hits, negative_hits, stale_hits, misses, loads, load_errors, lease_waits,
        refreshes, sets, writes_skipped, errors, invalidations, bytes_saved, decode_errors;
  } c;

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

  std::string lease_key(const std::string& full_key) const {
    return o_.key_prefix + "#lease:" + full_key.substr(o_.key_prefix.size());
  }

  TagGenerations read_tags(const std::vector<std::string>& tags) {
    TagGenerations out;
    if (tags.empty()) return out;
    Argv mget{"MGET"};
    for (const auto& t : tags) mget.push_back(tag_key(t));
    const RedisReply r = redis_.command(mget);
    for (std::size_t i = 0; i < tags.size(); ++i) out.emplace_back(tags[i], parse_generation(r[i]));
    return out;
  }

  static std::optional<std::optional<std::int64_t>> find_tag(const TagGenerations& known,
                                                             const std::string& name) {
    for (const auto& [n, g] : known) {
      if (n == name) return g;
    }
    return std::nullopt;
  }

  // Reads the values of `full_keys` and (in the same round trip) the generations of
  // `call_tags`; a second round trip reads the other tags the values carry. With a decoder, a value
  // it rejects is a miss. Throws RedisError.
  std::vector<Lookup> lookup_many(const std::vector<std::string>& full_keys,
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
      if (!d.entry.negative && decoder != nullptr &&
          !(*decoder)(i, d.entry.value, d.entry.format)) {
        c.decode_errors.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      lk.entry = std::move(d.entry);
      lk.state = Lookup::State::hit;
      lk.refresh_due = lk.entry.refresh_after_ms != 0 && now_ms() >= lk.entry.refresh_after_ms;
    }
    return out;
  }

  // Every tag the entry carries still has the generation it was stored with.
  static bool tags_current(const CacheEntry& entry, const TagGenerations& known,
                           const TagGenerations& extra) {
    for (const auto& [name, generation] : entry.tags) {
      auto current = find_tag(known, name);
      if (!current) current = find_tag(extra, name);
      if (!current || !*current || **current != generation) return false;
    }
    return true;
  }

  Lookup lookup(const std::string& full_key, const std::vector<std::string>& tags,
                const CacheDecoder* decoder) {
    return std::move(lookup_many({full_key}, tags, decoder).front());
  }

  // The SET NX commands creating the tags that do not exist yet (at a random generation), and
  // the generation of every tag, to record in the entries stored with them.
  std::vector<Argv> tag_setup(const TagGenerations& tags,
                              std::vector<std::pair<std::string, std::int64_t>>& recorded) const {
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

  static Argv set_command(const std::string& full_key, std::string bytes, Duration keep) {
    Argv set{"SET", full_key, std::move(bytes)};
    if (keep.count() > 0) {
      set.push_back("PX");
      set.push_back(std::to_string(keep.count()));
    }
    return set;
  }

  // Runs the commands in one round trip; throws the first error reply. Throws RedisError.
  void run_all(const std::vector<Argv>& commands) {
    if (commands.size() == 1) {
      redis_.command(commands[0]);
    } else if (!commands.empty()) {
      for (const auto& r : redis_.pipeline(commands)) r.throw_if_error();
    }
  }

  // Writes `value` (std::nullopt: a "not found" entry) with the tag generations read before the
  // value was loaded; with `held`, only if that lease was not invalidated meanwhile. Returns
  // whether the value was written. Throws RedisError.
  bool store(const std::string& full_key, const std::optional<std::string>& value, Duration ttl,
             const CachedOptions& options, std::uint8_t format, const TagGenerations& tags,
             const LeaseHold* held = nullptr) {
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
    c.sets.fetch_add(1, std::memory_order_relaxed);
    c.bytes_saved.fetch_add(encoded.bytes_saved, std::memory_order_relaxed);
    return true;
  }

  // Writes every (key, bytes) with the same format, TTL and tags: one round trip (after one
  // reading the tags' generations, when there are tags). Throws RedisError.
  std::size_t store_many(const std::vector<std::pair<std::string, std::string>>& items,
                         std::uint8_t format, Duration ttl, const std::vector<std::string>& tags) {
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
    c.sets.fetch_add(items.size(), std::memory_order_relaxed);
    c.bytes_saved.fetch_add(bytes_saved, std::memory_order_relaxed);
    return items.size();
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
    const bool stored =
        guarded([&] { return store(full_key, value, ttl, options, format, tags, held); }, false);
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

  // SET NX PX: true when we hold the lease now. Throws RedisError.
  bool acquire_lease(const std::string& lease, const std::string& token) {
    return acquire_script_
               .run(redis_, {lease, leases_key()}, {token, std::to_string(o_.lease_ttl.count())})
               .integer() == 1;
  }

  // The set listing the namespace's leases in use.
  std::string leases_key() const { return o_.key_prefix + "#leases"; }

  // Marks the loads in flight for the keys matching `pattern` (without the prefix; kMarkLeases).
  // Throws RedisError.
  void mark_leases(const std::string& pattern) {
    mark_leases_script_.run(redis_, {leases_key()},
                            {escape_glob(o_.key_prefix + "#lease:") + pattern});
  }

  void release_lease(const std::string& lease, const std::string& token) noexcept {
    try {
      release_script_.run(redis_, {lease, leases_key()}, {token});
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
    const std::string lease = lease_key(full_key);
    const std::string token = random_token();
    const auto deadline = std::chrono::steady_clock::now() + o_.lease_wait;
    auto backoff = std::chrono::milliseconds(1);
    bool counted_wait = false;
    while (true) {
      bool redis_ok = true;
      bool acquired = false;
      try {
        acquired = acquire_lease(lease, token);
      } catch (const RedisError&) {
        c.errors.fetch_add(1, std::memory_order_relaxed);
        if (o_.strict) throw;
        redis_ok = false;
      }
      if (!redis_ok) return run_loader(loader);  // Redis unusable: load, skip the write
      if (acquired) {
        std::optional<std::string> value;
        try {
          value = run_loader(loader);
        } catch (...) {
          release_lease(lease, token);
          throw;
        }
        try {
          const LeaseHold held{lease, token};
          store_loaded(full_key, value, ttl, options, format, generations, &held);
        } catch (...) {  // a throwing cache_if, or a failed write in strict mode
          release_lease(lease, token);
          throw;
        }
        release_lease(lease, token);
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
        Lookup lk = guarded([&] { return lookup(full_key, tags, decoder); }, kUnavailable);
        if (lk.state == Lookup::State::hit) {
          return lk.entry.negative ? std::nullopt : std::optional<std::string>(lk.entry.value);
        }
        if (lk.state == Lookup::State::unavailable) return run_loader(loader);
        const bool lease_held = guarded(
            [&] {
              return redis_.command({"EXISTS", lease}).integer() == 1;
            },
            false);
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
    Lookup lk = guarded([&] { return lookup(full_key, tags, decoder); }, kUnavailable);
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
        schedule_refresh(RefreshTask{full_key, ttl, loader, options, tags, format});
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

  // --- background refresh ---------------------------------------------------------------------
  void schedule_refresh(RefreshTask task) {
    std::lock_guard<std::mutex> lock(worker_mutex_);
    if (stopping_ || !pending_.insert(task.key).second) return;
    const std::string key = task.key;
    queue_.push_back(std::move(task));
    if (!worker_.joinable()) {
      try {
        worker_ = std::thread([this] { worker_loop(); });
      } catch (const std::system_error&) {
        // No thread for background refreshes: skip this one (the value is still served, and
        // reloaded when it expires) rather than leave it pending for wait_for_refreshes().
        queue_.pop_back();
        pending_.erase(key);
        return;
      }
    }
    worker_cv_.notify_all();
  }

  void worker_loop() {
    std::unique_lock<std::mutex> lock(worker_mutex_);
    while (true) {
      worker_cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, nothing left
      RefreshTask task = std::move(queue_.front());
      queue_.pop_front();
      busy_ = true;
      lock.unlock();
      refresh(task);
      lock.lock();
      busy_ = false;
      pending_.erase(task.key);
      idle_cv_.notify_all();
    }
  }

  void refresh(const RefreshTask& task) noexcept {
    c.refreshes.fetch_add(1, std::memory_order_relaxed);
    const std::string lease = lease_key(task.key);
    const std::string token = random_token();
    try {
      const TagGenerations generations = read_tags(task.tags);
      if (!acquire_lease(lease, token)) return;  // another process refreshes it
      try {
        const auto value = run_loader(task.loader);
        const LeaseHold held{lease, token};
        store_loaded(task.key, value, task.ttl, task.options, task.format, generations, &held);
      } catch (...) {
        // A failed refresh keeps serving the stale value until it expires.
      }
      release_lease(lease, token);
    } catch (...) {
      c.errors.fetch_add(1, std::memory_order_relaxed);
    }
  }

  void wait_idle() {
    std::unique_lock<std::mutex> lock(worker_mutex_);
    idle_cv_.wait(lock, [this] { return queue_.empty() && !busy_; });
  }

  void stop_worker() {
    {
      std::lock_guard<std::mutex> lock(worker_mutex_);
      stopping_ = true;
      queue_.clear();
      worker_cv_.notify_all();
    }
    if (worker_.joinable()) worker_.join();
  }

  // Deletes `keys` (without the prefix) and marks the loads in flight for them (kInvalidateKeys).
  // Throws RedisError.
  std::size_t delete_keys(const std::vector<std::string>& keys) {
    std::vector<std::string> script_keys;
    script_keys.reserve(keys.size() * 2);
    for (const auto& k : keys) {
      script_keys.push_back(redis_key(k));
      script_keys.push_back(lease_key(script_keys.back()));
    }
    return static_cast<std::size_t>(invalidate_keys_script_.run(redis_, script_keys, {}).integer());
  }

  std::size_t scan_unlink(const std::string& pattern) {
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
    c.invalidations.fetch_add(deleted, std::memory_order_relaxed);
    return deleted;
  }

  const CacheOptions o_;
  Redis redis_;
  SingleFlight<std::optional<std::string>> flights_;
  RedisScript acquire_script_{kAcquireLease};
  RedisScript release_script_{kReleaseLease};
  RedisScript mark_leases_script_{kMarkLeases};
  RedisScript invalidate_keys_script_{kInvalidateKeys};
  RedisScript store_script_{kStoreUnderLease};
  RedisScript bump_tags_script_{kBumpTags};

  std::mutex worker_mutex_;
  std::condition_variable worker_cv_, idle_cv_;
  std::deque<RefreshTask> queue_;
  std::unordered_set<std::string> pending_;
  std::thread worker_;
  bool stopping_ = false;
  bool busy_ = false;
};

}  // namespace detail

// --- Cache ------------------------------------------------------------------------------------

Cache::Cache(CacheOptions options) : Cache(Redis(options.redis), options) {}

Cache::Cache(const Settings& settings) : Cache(CacheOptions::from_settings(settings)) {}

Cache::Cache(Redis redis, CacheOptions options)
    : impl_(std::make_shared<detail::CacheImpl>(std::move(redis), std::move(options))) {}

std::string Cache::redis_key(const std::string& key) const {
  return impl_->redis_key(key);
}

std::string Cache::tag_key(const std::string& tag) const {
  return impl_->tag_key(tag);
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
  std::vector<Lookup> found =
      impl_->guarded([&] { return impl_->lookup_many(full_keys, {}, decoder); },
                     std::vector<Lookup>(keys.size(), kUnavailable));
  auto& c = impl_->c;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    Lookup& lk = found[i];
    if (lk.state != Lookup::State::hit) {
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
        [&] { return impl_->store_many(items, format, ttl.value_or(impl_->o_.default_ttl), tags); },
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
  return impl_->guarded([&] { return impl_->delete_keys({key}) > 0; }, false);
}

std::size_t Cache::del(const std::vector<std::string>& keys) {
  if (keys.empty()) return 0;
  return impl_->guarded(
      [&] {
        const std::size_t n = impl_->delete_keys(keys);
        impl_->c.invalidations.fetch_add(n, std::memory_order_relaxed);
        return n;
      },
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
        impl_->mark_leases(pattern);
        return impl_->scan_unlink(escape_glob(impl_->o_.key_prefix) + pattern);
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
  const bool deleted = del(t.fill(params));
  if (deleted) impl_->c.invalidations.fetch_add(1, std::memory_order_relaxed);
  return deleted ? 1 : 0;
}

void Cache::invalidate_tag(const std::string& tag) {
  invalidate_tags({tag});
}

void Cache::invalidate_tags(const std::vector<std::string>& tags) {
  if (tags.empty()) return;
  std::vector<std::string> keys;
  keys.reserve(tags.size());
  for (const auto& t : tags) keys.push_back(tag_key(t));
  impl_->guarded(
      [&] {
        impl_->bump_tags_script_.run(impl_->redis_, keys, {});
        impl_->c.invalidations.fetch_add(tags.size(), std::memory_order_relaxed);
        return true;
      },
      false);
}

std::size_t Cache::invalidate_tag_pattern(const std::string& pattern) {
  return impl_->guarded([&] { return impl_->scan_unlink(escape_glob(tag_key("")) + pattern); },
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
  cache.impl_->wait_idle();
}

std::string testing::CacheAccess::lease_key(const Cache& cache, const std::string& key) {
  return cache.impl_->lease_key(cache.redis_key(key));
}

}  // namespace pgfast
