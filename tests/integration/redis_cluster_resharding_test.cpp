// Resharding under load (issue #17): 8 threads run the cache (read-through with a tag, get, set,
// del), the rate limiter and a two-key Lua script through one cluster-mode pgfast::Redis while
// every slot their keys live in is moved from master to master, twice, with pgfast_test::move_slot.
// Each slot is held half-moved (all its keys already on the target, the slot not yet handed over)
// until the workers have used it, so ASK is certain, and the stale slot map after each move gives
// MOVED. The callers must see no error, the limiter must never allow more than its bound, and no
// script run may be lost or doubled. Needs its own cluster: ctest
// integration.redis_cluster.resharding runs it under tests/integration/redis_cluster.sh.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "pgfast/cache/cache.hpp"
#include "pgfast/ratelimit/rate_limiter.hpp"
#include "pgfast/redis/redis.hpp"
#include "redis/cluster_slot.hpp"
#include "redis/redis_script.hpp"
#include "redis_cluster.hpp"

using pgfast::cluster::key_slot;

namespace {

using Clock = std::chrono::steady_clock;

constexpr int kThreads = 8;
constexpr int kKeys = 32;   // of each kind: cache keys, limiter identities, script counters
constexpr int kPasses = 2;  // every slot is moved this many times
constexpr long long kBurst = 20;

std::string cache_value(int i) {
  return "value-" + std::to_string(i);
}
std::string counter_key(int i, const char* which) {
  return "{reshard:" + std::to_string(::getpid()) + ":ctr" + std::to_string(i) + "}" + which;
}

// MIGRATEs the keys of `slot` from master `from` to master `to`, except those in `keep`.
void migrate_keys(pgfast::Redis& admin, int slot, const std::string& from, const std::string& to,
                  const std::set<std::string>& keep) {
  const auto colon = to.rfind(':');
  const pgfast::RedisReply keys =
      admin.command_on(from, {"CLUSTER", "GETKEYSINSLOT", std::to_string(slot), "1000"});
  std::vector<std::string> migrate{
      "MIGRATE", to.substr(0, colon), to.substr(colon + 1), "", "0", "5000", "REPLACE", "KEYS"};
  for (const auto& key : keys.elements()) {
    if (keep.count(key.str()) == 0) migrate.push_back(key.str());
  }
  if (migrate.size() > 8) admin.command_on(from, migrate);
}

// cluster_current_epoch of the node, from CLUSTER INFO.
long long current_epoch(pgfast::Redis& admin, const std::string& node) {
  const std::string info = admin.command_on(node, {"CLUSTER", "INFO"}).str();
  const std::string field = "cluster_current_epoch:";
  return std::stoll(info.substr(info.find(field) + field.size()));
}

}  // namespace

TEST(RedisClusterResharding, CacheLimiterAndScriptsSeeNoErrorWhileSlotsMoveUnderLoad) {
  const pgfast::RedisOptions options = pgfast_test::cluster_options_from_env(16);
  pgfast::Redis redis(options);
  // Moves the slots, with its own map and stats, and time for MIGRATE on a busy machine.
  pgfast::RedisOptions admin_options = options;
  admin_options.command_timeout = std::chrono::seconds(10);
  pgfast::Redis admin(admin_options);

  pgfast::CacheOptions cache_options;
  cache_options.redis = options;
  cache_options.key_prefix = "reshard:" + std::to_string(::getpid()) + ":";
  pgfast::Cache cache(redis, cache_options);

  pgfast::RateLimiterOptions limiter_options;
  limiter_options.scope = "reshard" + std::to_string(::getpid());
  // A long period: within the test, the bound is the burst (plus one per 3 minutes elapsed).
  limiter_options.limits = {pgfast::RateLimit{kBurst, std::chrono::hours(1)}};
  limiter_options.failure_mode = pgfast::FailureMode::closed;  // a fallback would show
  pgfast::RateLimiter limiter(redis, limiter_options);

  // Both keys share a hash tag; a run increments both, so they stay equal.
  const pgfast::RedisScript incr_both(
      "redis.call('INCR', KEYS[1]) return redis.call('INCR', KEYS[2])");

  std::vector<std::string> cache_keys, identities;
  // The slots the workers use, and how often each has been used (index: position in `slots`).
  std::vector<int> slots;
  std::map<int, std::size_t> slot_index;
  auto add_slot = [&](const std::string& redis_key) {
    const int s = key_slot(redis_key);
    if (slot_index.emplace(s, slots.size()).second) slots.push_back(s);
    return slot_index.at(s);
  };
  std::vector<std::size_t> cache_slot, tag_slot, limiter_slot, counter_slot;
  std::vector<pgfast::CachedOptions> tagged(kKeys);
  for (int i = 0; i < kKeys; ++i) {
    cache_keys.push_back("k" + std::to_string(i));
    identities.push_back("user" + std::to_string(i));
    tagged[i].tags = {"t" + std::to_string(i)};
    ASSERT_TRUE(cache.set(cache_keys[i], cache_value(i), std::chrono::hours(1)));
    cache_slot.push_back(add_slot(cache.redis_key(cache_keys[i])));
    tag_slot.push_back(add_slot(cache.tag_key(tagged[i].tags.front())));
    limiter_slot.push_back(add_slot(limiter.key(identities[i])));
    ASSERT_EQ(key_slot(counter_key(i, "a")), key_slot(counter_key(i, "b")));
    counter_slot.push_back(add_slot(counter_key(i, "a")));
  }
  std::vector<std::atomic<long>> slot_uses(slots.size());

  const std::vector<std::string> masters = admin.masters();
  ASSERT_EQ(masters.size(), 3u);

  std::atomic<bool> stop{false};
  std::atomic<long> operations{0};
  std::mutex mutex;  // guards the tallies below
  std::vector<std::string> errors;
  std::vector<long long> allowed(kKeys, 0), decided(kKeys, 0), script_runs(kKeys, 0);
  std::map<std::string, long> wrong_sources;
  long wrong_values = 0;

  const auto started = Clock::now();
  std::vector<std::thread> workers;
  for (int t = 0; t < kThreads; ++t) {
    workers.emplace_back([&, t] {
      std::vector<long long> my_allowed(kKeys, 0), my_decided(kKeys, 0), my_runs(kKeys, 0);
      long my_wrong = 0;
      for (long n = t; !stop.load(); n += kThreads) {
        const int i = static_cast<int>((n / 5) % kKeys);
        std::size_t slot = 0;
        try {
          switch (n % 5) {
            case 0: {
              // With a tag (its generation key in its own slot): a read of two slots, and a
              // load under the key's lease whenever the entry was deleted or stored untagged.
              slot = cache_slot[i];
              slot_uses[tag_slot[i]].fetch_add(1);
              const auto v = cache.cached_key(
                  cache_keys[i], std::chrono::hours(1),
                  [&] { return std::optional<std::string>(cache_value(i)); }, tagged[i]);
              my_wrong += v != cache_value(i);
              break;
            }
            case 1: {
              slot = cache_slot[i];
              const auto v = cache.get<std::string>(cache_keys[i]);
              my_wrong += v && v != cache_value(i);  // deleted meanwhile: nothing
              break;
            }
            case 2:
              // Every other pass over the keys deletes (the value and its lease mark, one
              // script) instead of storing.
              slot = cache_slot[i];
              if ((n / 5 / kKeys) % 2 == 0) {
                my_wrong += !cache.set(cache_keys[i], cache_value(i), std::chrono::hours(1));
              } else {
                cache.del(cache_keys[i]);
              }
              break;
            case 3: {
              slot = limiter_slot[i];
              const pgfast::Decision d = limiter.check(identities[i]);
              ++my_decided[i];
              my_allowed[i] += d.allowed;
              if (d.source != pgfast::DecisionSource::redis) {
                std::lock_guard<std::mutex> lock(mutex);
                ++wrong_sources[pgfast::to_string(d.source)];
              }
              break;
            }
            default:
              slot = counter_slot[i];
              incr_both.run(redis, {counter_key(i, "a"), counter_key(i, "b")}, {});
              ++my_runs[i];
          }
        } catch (const std::exception& e) {
          std::lock_guard<std::mutex> lock(mutex);
          errors.push_back(e.what());
        }
        slot_uses[slot].fetch_add(1);
        operations.fetch_add(1);
      }
      std::lock_guard<std::mutex> lock(mutex);
      for (int i = 0; i < kKeys; ++i) {
        allowed[i] += my_allowed[i];
        decided[i] += my_decided[i];
        script_runs[i] += my_runs[i];
      }
      wrong_values += my_wrong;
    });
  }

  // Moves every slot `kPasses` times to the next master. While a slot is half-moved (MIGRATING
  // on the source, IMPORTING on the target), its keys go over in two steps: first all but each
  // script's second key, and the mover waits until a script run on the split pair was answered
  // TRYAGAIN (a cluster retry); then the rest, and the mover waits until the workers used the
  // slot twice more, each command being answered ASK by the source. Waits end after 10 s anyway.
  auto wait_until = [](auto done) {
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    while (!done() && Clock::now() < deadline) std::this_thread::yield();
  };
  int moves = 0;
  try {
    for (int pass = 0; pass < kPasses; ++pass) {
      for (std::size_t k = 0; k < slots.size(); ++k) {
        const int slot = slots[k];
        const std::string from = pgfast_test::slot_owner(admin, slot);
        const auto at = std::find(masters.begin(), masters.end(), from);
        if (at == masters.end()) {
          ADD_FAILURE() << "slot " << slot << " is served by " << from << ", not a known master";
          continue;
        }
        const std::string to = masters[(static_cast<std::size_t>(at - masters.begin()) + 1) % 3];
        std::set<std::string> second_keys;
        for (int i = 0; i < kKeys; ++i) {
          if (counter_slot[i] == k) second_keys.insert(counter_key(i, "b"));
        }
        // The target must know the cluster's highest epoch before it takes the slot: its
        // SETSLOT NODE then gives it a higher one than any master's, so a gossip message the
        // source sent before giving the slot up cannot win it back on the third master. (Moving
        // slots back to back, a target that had not heard of the last bump kept an older epoch
        // and the third master went back to the source: MOVED ping-pong until the redirect limit.)
        wait_until([&] {
          long long highest = 0;
          for (const auto& m : masters) highest = std::max(highest, current_epoch(admin, m));
          return current_epoch(admin, to) >= highest;
        });
        pgfast_test::move_slot(admin, slot, from, to, [&] {
          migrate_keys(admin, slot, from, to, second_keys);
          if (!second_keys.empty()) {
            const auto retries = redis.stats().cluster_retries;
            wait_until([&] { return redis.stats().cluster_retries > retries; });
          }
          migrate_keys(admin, slot, from, to, {});
          const long used = slot_uses[k].load();
          wait_until([&] { return slot_uses[k].load() >= used + 2; });
        });
        ++moves;
      }
    }
  } catch (const std::exception& e) {
    ADD_FAILURE() << "moving slots failed: " << e.what();
  }
  stop = true;
  for (auto& w : workers) w.join();
  const double elapsed_s = std::chrono::duration<double>(Clock::now() - started).count();

  const pgfast::RedisStats stats = redis.stats();
  std::printf(
      "%d slot moves, %ld operations in %.1f s; moved %llu, ask %llu, cluster retries %llu, "
      "slot maps %llu\n",
      moves, operations.load(), elapsed_s, static_cast<unsigned long long>(stats.moved),
      static_cast<unsigned long long>(stats.ask),
      static_cast<unsigned long long>(stats.cluster_retries),
      static_cast<unsigned long long>(stats.slot_map_refreshes));

  // No caller saw an error, and the cache neither fell through nor returned a wrong value.
  EXPECT_TRUE(errors.empty()) << errors.size() << " errors, the first: " << errors.front();
  EXPECT_EQ(wrong_values, 0);
  EXPECT_EQ(cache.stats().errors, 0u);
  EXPECT_EQ(stats.unavailable, 0u);
  // The only error replies the masters sent (INFO errorstats): the redirections and retries, and
  // NOSCRIPT, answered by EVAL when a script first ran on a node.
  const std::set<std::string> expected_errors{"MOVED", "ASK", "TRYAGAIN", "NOSCRIPT"};
  for (const auto& m : masters) {
    std::istringstream lines(admin.command_on(m, {"INFO", "errorstats"}).str());
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("errorstat_", 0) != 0) continue;
      const std::string code = line.substr(10, line.find(':') - 10);
      EXPECT_TRUE(expected_errors.count(code) == 1) << m << ": " << line;
    }
  }
  // The redirections and retries really happened, and were followed.
  EXPECT_GT(stats.moved, 0u);
  EXPECT_GT(stats.ask, 0u);
  EXPECT_GT(stats.cluster_retries, 0u);
  EXPECT_EQ(moves, kPasses * static_cast<int>(slots.size()));

  // The limiter decided in Redis every time, and allowed each identity exactly its bound: the
  // burst, plus what the rate gave back while the test ran (one per 3 minutes).
  EXPECT_TRUE(wrong_sources.empty()) << wrong_sources.begin()->first;
  const long long bound = kBurst + static_cast<long long>(elapsed_s / 180.0);
  for (int i = 0; i < kKeys; ++i) {
    ASSERT_GT(decided[i], kBurst) << identities[i] << ": too few checks to reach the bound";
    EXPECT_LE(allowed[i], bound) << identities[i];
    EXPECT_GE(allowed[i], kBurst) << identities[i];
  }

  // Each script run counted once on both keys: none lost in a move, none run twice.
  for (int i = 0; i < kKeys; ++i) {
    const auto both = redis.pipeline({{"GET", counter_key(i, "a")}, {"GET", counter_key(i, "b")}});
    const long long runs = script_runs[i];
    EXPECT_EQ(both[0].is_nil() ? 0 : std::stoll(both[0].str()), runs) << counter_key(i, "a");
    EXPECT_EQ(both[1].is_nil() ? 0 : std::stoll(both[1].str()), runs) << counter_key(i, "b");
  }
}
