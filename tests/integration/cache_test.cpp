// pgfast::Cache against real redis-servers. The behaviour tests (CacheTest) run twice: "single" on
// the shared server from scripts/with-services (REDIS_URL), "cluster" on the Redis Cluster handed
// in as REDIS_CLUSTER_NODES (ctest integration.redis_cluster.cache runs every */cluster instance in
// one process under tests/integration/redis_cluster.sh). The fault tests (CacheFaults) stop,
// restart or pause a private redis-server (RedisServer) and so are single-node only; the cluster's
// failures are tests/integration's chaos tests.
#include "pgfast/cache/cache.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <future>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "pgfast/settings.hpp"
#include "pgfast/testing/cache_access.hpp"
#include "redis/cluster_slot.hpp"
#include "redis_cluster.hpp"
#include "redis_modes.hpp"
#include "redis_server.hpp"
#include "test_env.hpp"

using pgfast::Cache;
using pgfast::CachedOptions;
using pgfast::CacheOptions;
using pgfast::KeyParams;
using pgfast::KeyTemplateError;
using pgfast::testing::CacheAccess;
using pgfast_test::redis_options;
using pgfast_test::redis_url;
using pgfast_test::RedisMode;
using pgfast_test::RedisServer;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

// A cache over `url` with its own namespace, so tests never see each other's keys.
CacheOptions cache_options(const std::string& url, const std::string& prefix = "") {
  CacheOptions o;
  o.redis = redis_options(url, 8);
  o.redis.down_backoff = milliseconds(100);
  o.key_prefix = prefix.empty() ? pgfast_test::unique_name("io_it") + ":" : prefix;
  return o;
}

long long ms_since(Clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - start).count();
}

std::string compressible(std::size_t n) {
  std::string s;
  while (s.size() < n)
    s += "{\"url\": \"https://example.org/page/" + std::to_string(s.size()) + "\"},";
  s.resize(n);
  return s;
}

// A loader that counts its calls.
struct CountingLoader {
  std::atomic<int> calls{0};
  std::string value = "loaded";
  Cache::Loader fn() {
    return [this]() -> std::optional<std::string> {
      ++calls;
      return value;
    };
  }
};

// Sums a counter of INFO commandstats (e.g. "evalsha", "calls") over every master.
long long command_stat(pgfast::Redis& redis, const std::string& command, const std::string& field) {
  long long sum = 0;
  for (const auto& m : redis.masters()) {
    const std::string stats = redis.command_on(m, {"INFO", "commandstats"}).str();
    const auto line = stats.find("cmdstat_" + command + ":");
    if (line == std::string::npos) continue;
    const auto at = stats.find(field + "=", line);
    if (at == std::string::npos || at > stats.find('\n', line)) continue;
    sum += std::stoll(stats.substr(at + field.size() + 1));
  }
  return sum;
}

// The calls of `command` that ran (failed ones, e.g. an EVALSHA answered NOSCRIPT, left out).
long long calls_that_ran(pgfast::Redis& redis, const std::string& command) {
  return command_stat(redis, command, "calls") - command_stat(redis, command, "failed_calls") -
         command_stat(redis, command, "rejected_calls");
}

void reset_command_stats(pgfast::Redis& redis) {
  for (const auto& m : redis.masters()) redis.command_on(m, {"CONFIG", "RESETSTAT"});
}

}  // namespace

// The Cache's behaviour tests, once per RedisMode.
class CacheTest : public ::testing::TestWithParam<RedisMode> {
 protected:
  bool cluster() const { return GetParam() == RedisMode::cluster; }
  pgfast::RedisOptions redis_options_for_mode(int pool) const {
    return pgfast_test::redis_mode_options(GetParam(), pool);
  }
  // A cache of this mode with its own namespace (or `prefix`).
  CacheOptions mode_options(const std::string& prefix = "") const {
    CacheOptions o;
    o.redis = redis_options_for_mode(8);
    o.redis.down_backoff = milliseconds(100);
    o.key_prefix = prefix.empty() ? pgfast_test::unique_name("io_it") + ":" : prefix;
    return o;
  }
  // A call's round trips: `batches` pipelines or commands, each one round trip on a single node
  // and at most one per master in cluster mode (split per node).
  void expect_round_trips(std::uint64_t taken, std::uint64_t batches) {
    if (!cluster()) {
      EXPECT_EQ(taken, batches);
      return;
    }
    pgfast::Redis redis(redis_options_for_mode(1));
    EXPECT_GE(taken, batches);
    EXPECT_LE(taken, batches * redis.masters().size());
  }
};

INSTANTIATE_TEST_SUITE_P(, CacheTest, ::testing::Values(RedisMode::single, RedisMode::cluster),
                         pgfast_test::redis_mode_name);

TEST_P(CacheTest, SetGetDelExistsTtl) {
  Cache cache(mode_options());
  EXPECT_FALSE(cache.get("k").has_value());
  EXPECT_FALSE(cache.exists("k"));
  EXPECT_EQ(cache.ttl("k"), Cache::kNoKey);
  EXPECT_TRUE(cache.set("k", std::string("v\0alue", 6), milliseconds(60000)));
  EXPECT_EQ(cache.get("k"), std::string("v\0alue", 6));
  EXPECT_TRUE(cache.exists("k"));
  const auto ttl = cache.ttl("k");
  EXPECT_GT(ttl.count(), 50000);
  EXPECT_LE(ttl.count(), 60000);
  // The key is namespaced in Redis.
  EXPECT_EQ(cache.redis().command({"EXISTS", cache.redis_key("k")}).integer(), 1);
  EXPECT_TRUE(cache.del("k"));
  EXPECT_FALSE(cache.del("k"));
  EXPECT_FALSE(cache.get("k").has_value());
  // TTL 0: no expiry.
  EXPECT_TRUE(cache.set("forever", "x", milliseconds(0)));
  EXPECT_EQ(cache.ttl("forever"), Cache::kNoExpiry);
  // No TTL given: the default.
  EXPECT_TRUE(cache.set("default", "x"));
  EXPECT_GT(cache.ttl("default").count(), 3590 * 1000);
  cache.delete_pattern("*");
  const auto s = cache.stats();
  EXPECT_EQ(s.hits, 1u);
  EXPECT_EQ(s.misses, 2u);
  EXPECT_EQ(s.sets, 3u);
}

// CacheStats::invalidations counts keys deleted, whichever way they were deleted.
TEST_P(CacheTest, EveryDelCountsTheKeysItDeleted) {
  Cache cache(mode_options());
  ASSERT_EQ(cache.mset<std::string>({{"a", "1"}, {"b", "2"}, {"c", "3"}, {"d", "4"}}), 4u);
  EXPECT_TRUE(cache.del("a"));
  EXPECT_EQ(cache.stats().invalidations, 1u);
  EXPECT_FALSE(cache.del("a"));  // nothing left to delete: nothing counted
  EXPECT_EQ(cache.stats().invalidations, 1u);
  EXPECT_EQ(cache.del(std::vector<std::string>{"b", "c", "absent"}), 2u);
  EXPECT_EQ(cache.stats().invalidations, 3u);
  EXPECT_EQ(cache.invalidate("d", {}), 1u);  // an exact template is one del: counted once
  EXPECT_EQ(cache.stats().invalidations, 4u);
}

TEST_P(CacheTest, TtlExpiry) {
  Cache cache(mode_options());
  const auto start = Clock::now();
  ASSERT_TRUE(cache.set("short", "v", milliseconds(150)));
  EXPECT_EQ(cache.get("short"), "v");
  EXPECT_TRUE(pgfast_test::eventually([&] { return !cache.get("short").has_value(); },
                                      std::chrono::seconds(5)));
  EXPECT_GE(ms_since(start), 140);
  EXPECT_FALSE(cache.exists("short"));
}

TEST_P(CacheTest, Increment) {
  Cache cache(mode_options());
  EXPECT_EQ(cache.increment("n"), 1);
  EXPECT_EQ(cache.increment("n", 41), 42);
  EXPECT_EQ(cache.increment("n", -2), 40);
  EXPECT_EQ(cache.get("n"), "40");  // a plain value, readable with get()
  EXPECT_EQ(cache.ttl("n"), Cache::kNoExpiry);
  // A TTL applies to the key the call creates, and is not reset by later increments.
  EXPECT_EQ(cache.increment("windowed", 1, milliseconds(60000)), 1);
  const auto first = cache.ttl("windowed");
  EXPECT_GT(first.count(), 0);
  cache.redis().command({"PEXPIRE", cache.redis_key("windowed"), "30000"});
  EXPECT_EQ(cache.increment("windowed", 1, milliseconds(60000)), 2);
  EXPECT_LE(cache.ttl("windowed").count(), 30000);
  // Not an integer: an error, counted, not thrown (strict mode would throw).
  cache.set("text", "abc");
  EXPECT_FALSE(cache.increment("text").has_value());
  EXPECT_EQ(cache.stats().errors, 1u);
  cache.delete_pattern("*");
}

TEST_P(CacheTest, GetOrSet) {
  Cache cache(mode_options());
  int calls = 0;
  auto loader = [&] {
    ++calls;
    return std::string("computed");
  };
  EXPECT_EQ(cache.get_or_set("g", loader, milliseconds(60000)), "computed");
  EXPECT_EQ(cache.get_or_set("g", loader, milliseconds(60000)), "computed");
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(cache.get("g"), "computed");
  cache.delete_pattern("*");
}

TEST_P(CacheTest, NamespacesAreIsolated) {
  const std::string base = pgfast_test::unique_name("ns");
  Cache a(mode_options(base + ":a:"));
  Cache b(mode_options(base + ":b:"));
  a.set("same", "from a");
  b.set("same", "from b");
  EXPECT_EQ(a.get("same"), "from a");
  EXPECT_EQ(b.get("same"), "from b");
  EXPECT_EQ(a.delete_pattern("*"), 1u);
  EXPECT_FALSE(a.get("same").has_value());
  EXPECT_EQ(b.get("same"), "from b");
  // A prefix with glob characters matches only itself.
  Cache star(mode_options(base + ":*:"));
  star.set("same", "star");
  EXPECT_EQ(star.delete_pattern("*"), 1u);
  EXPECT_EQ(b.get("same"), "from b");
  b.delete_pattern("*");
}

TEST_P(CacheTest, CachedFillsTemplatesAndStoresTheLoadedValue) {
  Cache cache(mode_options());
  CountingLoader loader;
  const KeyParams p{{"session_id", 42}};
  EXPECT_EQ(cache.cached("search:results:{session_id}", p, milliseconds(60000), loader.fn()),
            "loaded");
  EXPECT_EQ(cache.cached("search:results:{session_id}", p, milliseconds(60000), loader.fn()),
            "loaded");
  EXPECT_EQ(loader.calls.load(), 1);
  EXPECT_EQ(cache.get("search:results:42"), "loaded");
  const auto s = cache.stats();
  EXPECT_EQ(s.loads, 1u);
  EXPECT_EQ(s.misses, 1u);
  EXPECT_EQ(s.hits, 2u);
  cache.delete_pattern("*");
}

TEST_P(CacheTest, TemplateErrorsAreClearAndStoreNothing) {
  Cache cache(mode_options());
  CountingLoader loader;
  try {
    cache.cached("search:results:{session_id}", {{"session", 1}}, milliseconds(1000), loader.fn());
    FAIL() << "no KeyTemplateError";
  } catch (const KeyTemplateError& e) {
    EXPECT_NE(std::string(e.what()).find("\"session_id\""), std::string::npos) << e.what();
  }
  EXPECT_THROW(cache.cached("bad:{", {}, milliseconds(1000), loader.fn()), KeyTemplateError);
  EXPECT_THROW(cache.invalidate("x:{id}", {}), KeyTemplateError);
  EXPECT_EQ(loader.calls.load(), 0);
  EXPECT_EQ(cache.delete_pattern("*"), 0u);
}

TEST_P(CacheTest, CustomKeyFunction) {
  Cache cache(mode_options());
  CountingLoader loader;
  Cache::KeyFunction key = [](const KeyParams& p) { return "user:" + *p.find("id") + ":v2"; };
  EXPECT_EQ(cache.cached(key, {{"id", 7}}, milliseconds(60000), loader.fn()), "loaded");
  EXPECT_EQ(cache.get("user:7:v2"), "loaded");
  EXPECT_EQ(cache.cached(key, {{"id", 7}}, milliseconds(60000), loader.fn()), "loaded");
  EXPECT_EQ(loader.calls.load(), 1);
  cache.delete_pattern("*");
}

TEST_P(CacheTest, ConditionalCaching) {
  Cache cache(mode_options());
  CachedOptions only_non_empty;
  only_non_empty.cache_if = [](const std::optional<std::string>& v) { return v && !v->empty(); };
  int calls = 0;
  auto empty = [&]() -> std::optional<std::string> {
    ++calls;
    return std::string();
  };
  EXPECT_EQ(cache.cached_key("c", milliseconds(60000), empty, only_non_empty), "");
  EXPECT_EQ(cache.cached_key("c", milliseconds(60000), empty, only_non_empty), "");
  EXPECT_EQ(calls, 2);  // not stored, so loaded again
  EXPECT_FALSE(cache.exists("c"));
  auto full = [&]() -> std::optional<std::string> {
    ++calls;
    return std::string("data");
  };
  EXPECT_EQ(cache.cached_key("c", milliseconds(60000), full, only_non_empty), "data");
  EXPECT_EQ(cache.cached_key("c", milliseconds(60000), full, only_non_empty), "data");
  EXPECT_EQ(calls, 3);
  cache.delete_pattern("*");
}

TEST_P(CacheTest, NegativeCaching) {
  auto options = mode_options();
  options.negative_ttl = milliseconds(500);
  Cache cache(options);
  int calls = 0;
  auto not_found = [&]() -> std::optional<std::string> {
    ++calls;
    return std::nullopt;
  };
  EXPECT_FALSE(cache.cached("user:{id}", {{"id", 404}}, milliseconds(60000), not_found));
  EXPECT_FALSE(cache.cached("user:{id}", {{"id", 404}}, milliseconds(60000), not_found));
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(cache.stats().negative_hits, 1u);
  EXPECT_TRUE(cache.exists("user:404"));
  EXPECT_FALSE(cache.get("user:404").has_value());  // "not found" reads as absent
  EXPECT_LE(cache.ttl("user:404").count(), 500);
  // Its own TTL: after it the loader is asked again.
  EXPECT_TRUE(pgfast_test::eventually([&] { return !cache.exists("user:404"); }));
  EXPECT_FALSE(cache.cached("user:{id}", {{"id", 404}}, milliseconds(60000), not_found));
  EXPECT_EQ(calls, 2);
  // negative_ttl 0 per call: not cached.
  CachedOptions no_negative;
  no_negative.negative_ttl = milliseconds(0);
  EXPECT_FALSE(cache.cached_key("other", milliseconds(60000), not_found, no_negative));
  EXPECT_FALSE(cache.exists("other"));
  cache.delete_pattern("*");
}

TEST_P(CacheTest, InvalidateWithWildcardsAndEscapedParameters) {
  Cache cache(mode_options());
  for (const char* k : {"search:results:42", "search:queries:42", "search:results:43",
                        "search:results:4*", "other:42"}) {
    cache.set(k, "v");
  }
  EXPECT_EQ(cache.invalidate("search:*:{session_id}", {{"session_id", 42}}), 2u);
  EXPECT_FALSE(cache.exists("search:results:42"));
  EXPECT_FALSE(cache.exists("search:queries:42"));
  EXPECT_TRUE(cache.exists("search:results:43"));
  EXPECT_TRUE(cache.exists("other:42"));
  // A parameter value with a glob character matches only itself.
  EXPECT_EQ(cache.invalidate("search:*:{session_id}", {{"session_id", "4*"}}), 1u);
  EXPECT_TRUE(cache.exists("search:results:43"));
  // Without wildcards: exactly one key.
  EXPECT_EQ(cache.invalidate("other:{id}", {{"id", 42}}), 1u);
  EXPECT_EQ(cache.invalidate("other:{id}", {{"id", 42}}), 0u);
  cache.delete_pattern("*");
}

TEST_P(CacheTest, DeletePatternOver100kKeysNeverUsesKeys) {
  Cache cache(mode_options());
  auto redis = cache.redis();
  constexpr int kKeys = 100000;
  for (int batch = 0; batch < kKeys; batch += 1000) {
    std::vector<std::vector<std::string>> commands;
    for (int i = batch; i < batch + 1000; ++i) {
      commands.push_back({"SET", cache.redis_key("bulk:" + std::to_string(i)), "v"});
    }
    redis.pipeline(commands);
  }
  cache.set("keep:1", "v");
  reset_command_stats(redis);
  const auto start = Clock::now();
  EXPECT_EQ(cache.delete_pattern("bulk:*"), static_cast<std::size_t>(kKeys));
  const auto elapsed = ms_since(start);
  EXPECT_EQ(cache.get("keep:1"), "v");
  // Every master was scanned (in cluster mode each holds its own slots' keys); never KEYS.
  for (const auto& m : redis.masters()) {
    const std::string stats = redis.command_on(m, {"INFO", "commandstats"}).str();
    EXPECT_EQ(stats.find("cmdstat_keys:"), std::string::npos) << m << stats;
    EXPECT_NE(stats.find("cmdstat_scan:"), std::string::npos) << m << stats;
    EXPECT_NE(stats.find("cmdstat_unlink:"), std::string::npos) << m << stats;
  }
  std::printf("delete_pattern: %d keys in %lld ms\n", kKeys, static_cast<long long>(elapsed));
  cache.delete_pattern("*");
}

TEST_P(CacheTest, StampedeSixtyFourThreadsOneLoader) {
  Cache cache(mode_options());
  std::atomic<int> calls{0};
  auto slow = [&]() -> std::optional<std::string> {
    ++calls;
    std::this_thread::sleep_for(milliseconds(300));  // a slow query: everyone arrives meanwhile
    return std::string("expensive");
  };
  constexpr int kThreads = 64;
  pgfast_test::Latch start(kThreads);
  std::vector<std::string> results(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      results[i] = cache.cached("cold:{id}", {{"id", 1}}, milliseconds(60000), slow).value_or("");
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(calls.load(), 1);
  for (const auto& r : results) EXPECT_EQ(r, "expensive");
  const auto s = cache.stats();
  EXPECT_EQ(s.loads, 1u);
  EXPECT_EQ(s.hits + s.misses, static_cast<std::uint64_t>(kThreads));
  EXPECT_GT(s.misses, 1u);  // several missed at once and shared the one load
  cache.delete_pattern("*");
}

TEST_P(CacheTest, StampedeTwoProcessesOneLoader) {
  // Both processes count their loader calls in Redis; they start together through a pipe.
  const std::string prefix = pgfast_test::unique_name("io_it_proc") + ":";
  const std::string counter = prefix + "loader_calls";
  int go[2];
  ASSERT_EQ(::pipe(go), 0);
  auto run = [&]() -> bool {
    Cache cache(mode_options(prefix));
    auto loader = [&]() -> std::optional<std::string> {
      cache.redis().command({"INCR", counter});
      std::this_thread::sleep_for(milliseconds(300));
      return std::string("shared value");
    };
    return cache.cached("cold", {}, milliseconds(60000), loader) == "shared value";
  };
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    char byte;
    ::close(go[1]);
    const bool ok = ::read(go[0], &byte, 1) == 1 && run();
    ::_exit(ok ? 0 : 1);
  }
  ::close(go[0]);
  ASSERT_EQ(::write(go[1], "g", 1), 1);
  const bool parent_ok = run();
  ::close(go[1]);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(parent_ok);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  Cache check(mode_options(prefix));
  EXPECT_EQ(check.redis().command({"GET", counter}).str(), "1");
  check.redis().command({"DEL", counter});
  check.delete_pattern("*");
}

TEST_P(CacheTest, LeaseHeldElsewhereIsAwaitedNotDuplicated) {
  Cache cache(mode_options());
  auto redis = cache.redis();
  // Another process holds the lease on the key and is about to store its value.
  const std::string lease = CacheAccess::lease_key(cache, "k");
  redis.command({"SET", lease, "other-process-token", "PX", "10000"});
  CountingLoader loader;
  std::thread other([&] {
    std::this_thread::sleep_for(milliseconds(100));
    Cache other_process(mode_options(cache.options().key_prefix));
    other_process.set("k", "from the other process", milliseconds(60000));
    redis.command({"DEL", lease});
  });
  EXPECT_EQ(cache.cached_key("k", milliseconds(60000), loader.fn()), "from the other process");
  other.join();
  EXPECT_EQ(loader.calls.load(), 0);
  EXPECT_EQ(cache.stats().lease_waits, 1u);
  cache.delete_pattern("*");
}

TEST_P(CacheTest, LeaseIsReleasedOnlyByItsOwner) {
  Cache cache(mode_options());
  auto redis = cache.redis();
  const std::string lease = CacheAccess::lease_key(cache, "k");
  // Our lease "expires" during the load and another process takes it: we must not delete it.
  auto loader = [&]() -> std::optional<std::string> {
    EXPECT_EQ(redis.command({"EXISTS", lease}).integer(), 1);  // held while loading
    redis.command({"SET", lease, "someone-else", "PX", "10000"});
    return std::string("v");
  };
  EXPECT_EQ(cache.cached_key("k", milliseconds(60000), loader), "v");
  EXPECT_EQ(redis.command({"GET", lease}).str(), "someone-else");
  redis.command({"DEL", lease});
  // Normal case: released after the load.
  cache.del("k");
  CountingLoader plain;
  cache.cached_key("k", milliseconds(60000), plain.fn());
  EXPECT_EQ(redis.command({"EXISTS", lease}).integer(), 0);
  cache.delete_pattern("*");
}

TEST_P(CacheTest, DelDuringALoadKeepsThatLoadsValueOutOfTheCache) {
  Cache cache(mode_options());
  std::promise<void> loading, deleted;
  std::shared_future<void> deleted_f = deleted.get_future().share();
  std::optional<std::string> loaded;
  std::thread caller([&] {
    loaded = cache.cached_key("k", milliseconds(60000), [&]() -> std::optional<std::string> {
      loading.set_value();
      deleted_f.wait();
      return std::string("read before the change");
    });
  });
  loading.get_future().wait();
  const bool existed = cache.del("k");  // nothing stored yet: marks the load in flight
  deleted.set_value();
  caller.join();
  EXPECT_FALSE(existed);
  EXPECT_EQ(loaded, "read before the change");
  EXPECT_FALSE(cache.exists("k"));
  EXPECT_EQ(cache.redis().command({"EXISTS", CacheAccess::lease_key(cache, "k")}).integer(),
            0);  // released
  EXPECT_EQ(cache.stats().writes_skipped, 1u);
  EXPECT_EQ(cache.stats().sets, 0u);
  // Without an invalidation in between, the next load is stored.
  CountingLoader fresh;
  fresh.value = "after the change";
  EXPECT_EQ(cache.cached_key("k", milliseconds(60000), fresh.fn()), "after the change");
  EXPECT_TRUE(cache.exists("k"));
  EXPECT_EQ(cache.cached_key("k", milliseconds(60000), fresh.fn()), "after the change");
  EXPECT_EQ(fresh.calls.load(), 1);
  cache.delete_pattern("*");
}

TEST_P(CacheTest, WildcardInvalidationDuringALoadKeepsThatLoadsValueOutOfTheCache) {
  Cache cache(mode_options());
  auto redis = cache.redis();
  std::promise<void> loading, invalidated;
  std::shared_future<void> invalidated_f = invalidated.get_future().share();
  std::optional<std::string> loaded;
  std::thread caller([&] {
    loaded = cache.cached("search:results:{session_id}", {{"session_id", 7}}, milliseconds(60000),
                          [&]() -> std::optional<std::string> {
                            loading.set_value();
                            invalidated_f.wait();
                            return std::string("read before the change");
                          });
  });
  loading.get_future().wait();
  const std::string leases = cache.options().key_prefix + "#leases";
  const std::string dead = CacheAccess::lease_key(cache, "search:other:7");
  if (!cluster()) {
    // The set of leases in use outlives the newest lease by one lease time at most.
    const long long set_ttl = redis.command({"PTTL", leases}).integer();
    EXPECT_GT(set_ttl, cache.options().lease_ttl.count());
    EXPECT_LE(set_ttl, 2 * cache.options().lease_ttl.count());
    // A lease left behind by a process that died (listed, but expired) is cleaned up on the way.
    redis.command({"SADD", leases, dead});
  } else {
    // No set in cluster mode (the invalidation SCANs for the leases); the lease shares its key's
    // slot.
    EXPECT_EQ(redis.command({"EXISTS", leases}).integer(), 0);
    EXPECT_EQ(pgfast::cluster::key_slot(CacheAccess::lease_key(cache, "search:results:7")),
              pgfast::cluster::key_slot(cache.redis_key("search:results:7")));
  }
  cache.invalidate("search:*:{session_id}", {{"session_id", 7}});
  invalidated.set_value();
  caller.join();
  EXPECT_EQ(loaded, "read before the change");
  EXPECT_FALSE(cache.exists("search:results:7"));
  EXPECT_EQ(cache.stats().writes_skipped, 1u);
  if (!cluster()) {
    EXPECT_EQ(redis.command({"SISMEMBER", leases, dead}).integer(), 0);
    // Released and unlisted.
    EXPECT_EQ(redis.command({"SCARD", leases}).integer(), 0);
  }
  EXPECT_EQ(redis.command({"EXISTS", CacheAccess::lease_key(cache, "search:results:7")}).integer(),
            0);
  // An invalidation of another key does not stop the next load.
  CountingLoader fresh;
  EXPECT_EQ(cache.cached("search:results:{session_id}", {{"session_id", 7}}, milliseconds(60000),
                         fresh.fn()),
            "loaded");
  EXPECT_TRUE(cache.exists("search:results:7"));
  cache.delete_pattern("*");
}

// Loads in flight on keys of every master (in cluster mode their leases are spread too, and no
// set lists them): one wildcard invalidation finds and marks all of them, so none stores the
// value it read before the change.
TEST_P(CacheTest, WildcardInvalidationMarksTheLoadsInFlightOnEveryMaster) {
  Cache cache(mode_options());
  pgfast::Redis redis = cache.redis();
  constexpr int kLoads = 40;  // all three masters of the test cluster hold some of the leases
  pgfast_test::Latch loading(kLoads);
  std::promise<void> invalidated;
  std::shared_future<void> invalidated_f = invalidated.get_future().share();
  std::vector<std::thread> callers;
  for (int i = 0; i < kLoads; ++i) {
    callers.emplace_back([&, i] {
      cache.cached("page:{n}", {{"n", i}}, milliseconds(60000),
                   [&]() -> std::optional<std::string> {
                     loading.count_down();
                     invalidated_f.wait();
                     return std::string("read before the change");
                   });
    });
  }
  loading.wait();
  // Every lease is held, each in its value's slot; count the masters holding them.
  std::set<std::string> masters_with_leases;
  for (int i = 0; i < kLoads; ++i) {
    const std::string key = "page:" + std::to_string(i);
    const std::string lease = CacheAccess::lease_key(cache, key);
    ASSERT_EQ(redis.command({"EXISTS", lease}).integer(), 1) << lease;
    if (!cluster()) continue;
    const int slot = pgfast::cluster::key_slot(lease);
    ASSERT_EQ(slot, pgfast::cluster::key_slot(cache.redis_key(key)));
    for (const auto& m : redis.masters()) {
      const auto count = redis.command_on(m, {"CLUSTER", "COUNTKEYSINSLOT", std::to_string(slot)});
      if (count.integer() > 0) masters_with_leases.insert(m);
    }
  }
  if (cluster()) {
    EXPECT_EQ(masters_with_leases.size(), redis.masters().size());
  }
  cache.invalidate("page:*", {});
  invalidated.set_value();
  for (auto& t : callers) t.join();
  EXPECT_EQ(cache.stats().writes_skipped, static_cast<std::uint64_t>(kLoads));
  EXPECT_EQ(cache.stats().sets, 0u);
  for (int i = 0; i < kLoads; ++i) {
    const std::string key = "page:" + std::to_string(i);
    EXPECT_FALSE(cache.exists(key)) << key;
    EXPECT_EQ(redis.command({"EXISTS", CacheAccess::lease_key(cache, key)}).integer(), 0);
  }
  cache.delete_pattern("*");
}

TEST_P(CacheTest, LoaderExceptionsPropagateAndStoreNothing) {
  Cache cache(mode_options());
  auto failing = []() -> std::optional<std::string> { throw std::runtime_error("db down"); };
  EXPECT_THROW(cache.cached_key("k", milliseconds(60000), failing), std::runtime_error);
  EXPECT_FALSE(cache.exists("k"));
  EXPECT_EQ(cache.stats().load_errors, 1u);
  CountingLoader ok;
  EXPECT_EQ(cache.cached_key("k", milliseconds(60000), ok.fn()), "loaded");
  cache.delete_pattern("*");
}

TEST_P(CacheTest, TagInvalidationMakesEveryTaggedKeyMiss) {
  Cache cache(mode_options());
  CachedOptions tagged;
  tagged.tags = {"session:{session_id}", "all-sessions"};
  CountingLoader loader;
  for (int page = 0; page < 50; ++page) {
    cache.cached("results:{session_id}:{page}", {{"session_id", 1}, {"page", page}},
                 milliseconds(60000), loader.fn(), tagged);
  }
  cache.cached("results:{session_id}:{page}", {{"session_id", 2}, {"page", 0}}, milliseconds(60000),
               loader.fn(), tagged);
  EXPECT_EQ(loader.calls.load(), 51);
  EXPECT_EQ(cache.get("results:1:7"), "loaded");

  pgfast::Redis redis = cache.redis();
  reset_command_stats(redis);
  cache.invalidate_tag("session:1");  // one script run, one INCR (on the tag's master)
  EXPECT_EQ(calls_that_ran(redis, "evalsha") + calls_that_ran(redis, "eval"), 1);
  EXPECT_EQ(calls_that_ran(redis, "incr"), 1);  // not per key

  for (int page = 0; page < 50; ++page) {
    EXPECT_FALSE(cache.get("results:1:" + std::to_string(page)).has_value()) << page;
  }
  EXPECT_EQ(cache.get("results:2:0"), "loaded");
  // Reloading stores under the new generation: hits again.
  cache.cached("results:{session_id}:{page}", {{"session_id", 1}, {"page", 3}}, milliseconds(60000),
               loader.fn(), tagged);
  EXPECT_EQ(cache.get("results:1:3"), "loaded");
  // The static tag covers both sessions.
  cache.invalidate_tag("all-sessions");
  EXPECT_FALSE(cache.get("results:2:0").has_value());
  EXPECT_FALSE(cache.get("results:1:3").has_value());
  // set() with tags, and a tag pattern.
  cache.set("plain", "v", milliseconds(60000), {"session:9"});
  EXPECT_EQ(cache.get("plain"), "v");
  EXPECT_EQ(cache.invalidate_tag_pattern("session:*"), 3u);  // session:1, :2, :9
  EXPECT_FALSE(cache.get("plain").has_value());
  // A tag nobody used: nothing to do, and no key created.
  cache.invalidate_tag("never-used");
  EXPECT_EQ(cache.redis().command({"EXISTS", cache.tag_key("never-used")}).integer(), 0);
  cache.delete_pattern("*");
}

TEST_P(CacheTest, LargeValuesAreStoredCompressed) {
  Cache cache(mode_options());
  const std::string value = compressible(10 * 1024);
  CountingLoader loader;
  loader.value = value;
  EXPECT_EQ(cache.cached_key("big", milliseconds(60000), loader.fn()), value);
  const long long stored = cache.redis().command({"STRLEN", cache.redis_key("big")}).integer();
  EXPECT_LT(stored, 10 * 1024 / 2) << "stored " << stored << " bytes";
  EXPECT_EQ(cache.get("big"), value);
  EXPECT_EQ(cache.cached_key("big", milliseconds(60000), loader.fn()), value);
  EXPECT_EQ(cache.stats().bytes_saved, static_cast<std::uint64_t>(10 * 1024 - (stored - 28)));
  // Below the threshold: stored as is (plus the envelope header).
  cache.set("small", compressible(1000));
  EXPECT_EQ(cache.redis().command({"STRLEN", cache.redis_key("small")}).integer(), 1028);
  cache.delete_pattern("*");
}

TEST_P(CacheTest, StaleWhileRevalidateServesStaleAndRefreshesInTheBackground) {
  Cache cache(mode_options());
  CachedOptions swr;
  swr.stale_while_revalidate = milliseconds(10000);
  auto version = std::make_shared<std::atomic<int>>(1);
  auto loader = [version]() -> std::optional<std::string> {
    return "v" + std::to_string(version->load());
  };
  EXPECT_EQ(cache.cached_key("s", milliseconds(100), loader, swr), "v1");
  version->store(2);
  std::this_thread::sleep_for(milliseconds(120));  // past the fresh TTL, inside the stale window
  EXPECT_EQ(cache.cached_key("s", milliseconds(100), loader, swr), "v1");  // stale, at once
  CacheAccess::wait_for_refreshes(cache);
  EXPECT_EQ(cache.cached_key("s", milliseconds(100), loader, swr), "v2");
  const auto s = cache.stats();
  EXPECT_EQ(s.stale_hits, 1u);
  EXPECT_EQ(s.refreshes, 1u);
  EXPECT_EQ(s.loads, 2u);
  cache.delete_pattern("*");
}

TEST_P(CacheTest, EarlyRefreshReloadsBeforeExpiry) {
  Cache cache(mode_options());
  CachedOptions early;
  early.early_refresh = milliseconds(59500);  // refresh due after 500 ms of a 60 s TTL
  auto version = std::make_shared<std::atomic<int>>(1);
  auto loader = [version]() -> std::optional<std::string> {
    return "v" + std::to_string(version->load());
  };
  EXPECT_EQ(cache.cached_key("e", milliseconds(60000), loader, early), "v1");
  version->store(2);
  EXPECT_EQ(cache.cached_key("e", milliseconds(60000), loader, early), "v1");  // not due yet
  EXPECT_EQ(cache.stats().refreshes, 0u);
  std::this_thread::sleep_for(milliseconds(520));
  EXPECT_EQ(cache.cached_key("e", milliseconds(60000), loader, early), "v1");
  CacheAccess::wait_for_refreshes(cache);
  EXPECT_EQ(cache.get("e"), "v2");
  EXPECT_GT(cache.ttl("e").count(), 59000);  // the value never expired
  cache.delete_pattern("*");
}

TEST_P(CacheTest, DisabledCacheAlwaysLoadsAndWritesNothing) {
  auto options = mode_options();
  options.enabled = false;
  Cache cache(options);
  CountingLoader loader;
  cache.cached_key("k", milliseconds(60000), loader.fn());
  cache.cached_key("k", milliseconds(60000), loader.fn());
  EXPECT_EQ(loader.calls.load(), 2);
  EXPECT_FALSE(cache.set("k", "v"));
  EXPECT_EQ(cache.redis().command({"EXISTS", cache.redis_key("k")}).integer(), 0);
}

TEST_P(CacheTest, OptionsFromSettings) {
  const auto seeds = redis_options_for_mode(1).cluster_nodes;
  std::string nodes;
  for (const auto& seed : seeds) nodes += (nodes.empty() ? "" : ",") + seed;
  pgfast::Settings settings = pgfast::Settings::from_env([&](const std::string& name) {
    if (name == "REDIS_URL") return std::optional<std::string>("redis://127.0.0.1:6390/3");
    if (name == "REDIS_CLUSTER_NODES" && !nodes.empty()) return std::optional<std::string>(nodes);
    if (name == "REDIS_MAX_CONNECTIONS") return std::optional<std::string>("7");
    if (name == "CACHE_DEFAULT_TTL") return std::optional<std::string>("120");
    if (name == "CACHE_ENABLED") return std::optional<std::string>("false");
    return std::optional<std::string>();
  });
  const auto o = CacheOptions::from_settings(settings);
  EXPECT_EQ(o.redis.url, "redis://127.0.0.1:6390/3");
  EXPECT_EQ(o.redis.cluster_nodes, seeds);  // cluster mode: REDIS_CLUSTER_NODES
  EXPECT_EQ(o.redis.max_connections, 7);
  EXPECT_EQ(o.default_ttl, milliseconds(120000));
  EXPECT_FALSE(o.enabled);
  EXPECT_EQ(o.key_prefix, "io:");
}

// --- handles, mget/mset, typed values -----------------------------------------------------------

TEST_P(CacheTest, CopiesShareOneCacheAndAGivenRedisPool) {
  pgfast::Redis redis(redis_options_for_mode(4));
  Cache cache(redis, mode_options());
  {
    Cache copy = cache;  // a handle: same pool, same stats, same namespace
    EXPECT_TRUE(copy.set("k", "v"));
  }
  EXPECT_EQ(cache.get("k"), "v");
  EXPECT_EQ(cache.stats().sets, 1u);
  EXPECT_EQ(cache.stats().hits, 1u);
  // The cache's commands went through the Redis handle it was given.
  const auto before = redis.stats().round_trips;
  EXPECT_TRUE(cache.exists("k"));
  EXPECT_EQ(redis.stats().round_trips, before + 1);
  EXPECT_EQ(cache.redis().stats().round_trips, before + 1);
  cache.delete_pattern("*");
}

// One round trip each on a single node; in cluster mode one per master holding the keys (the
// keys of each slot in one command, every node's commands in one pipeline).
TEST_P(CacheTest, MgetAndMsetAreOneRoundTripEach) {
  Cache cache(mode_options());
  std::vector<std::pair<std::string, std::string>> items;
  std::vector<std::string> keys;
  for (int i = 0; i < 50; ++i) {
    items.emplace_back("m" + std::to_string(i), "value " + std::to_string(i));
    keys.push_back("m" + std::to_string(i));
  }
  items.emplace_back("big", compressible(8192));  // compressed in the envelope
  keys.push_back("big");
  keys.push_back("absent");
  pgfast::Redis redis = cache.redis();
  cache.exists("warm-up");  // cluster mode: the first command also takes the slot map
  auto before = redis.stats().round_trips;
  EXPECT_EQ(cache.mset(items, milliseconds(60000)), items.size());
  expect_round_trips(redis.stats().round_trips - before, 1);

  before = redis.stats().round_trips;
  const auto values = cache.mget(keys);
  expect_round_trips(redis.stats().round_trips - before, 1);
  ASSERT_EQ(values.size(), keys.size());
  for (int i = 0; i < 50; ++i) EXPECT_EQ(values[i], "value " + std::to_string(i)) << i;
  EXPECT_EQ(values[50], compressible(8192));
  EXPECT_FALSE(values[51].has_value());
  EXPECT_GT(cache.stats().bytes_saved, 0u);
  const auto s = cache.stats();
  EXPECT_EQ(s.sets, 51u);
  EXPECT_EQ(s.hits, 51u);
  EXPECT_EQ(s.misses, 1u);
  // The TTL applies to every key; values read back one by one are the same.
  EXPECT_GT(cache.ttl("m7").count(), 50000);
  EXPECT_LE(cache.ttl("big").count(), 60000);
  EXPECT_EQ(cache.get("m7"), "value 7");
  EXPECT_TRUE(cache.mget({}).empty());
  EXPECT_EQ(cache.mset(std::vector<std::pair<std::string, std::string>>{}), 0u);
  cache.delete_pattern("*");
}

TEST_P(CacheTest, MgetHonoursTagsAndNegativeEntries) {
  Cache cache(mode_options());
  EXPECT_EQ(cache.mset({{"a", "1"}, {"b", "2"}}, milliseconds(60000), {"group"}), 2u);
  EXPECT_TRUE(cache.set("c", "3", milliseconds(60000), {"other"}));
  // A cached "not found": a hit for the statistics, no value.
  cache.cached_key("gone", milliseconds(60000), [] { return std::optional<std::string>(); });
  pgfast::Redis redis = cache.redis();
  auto before = redis.stats().round_trips;
  auto values = cache.mget({"a", "b", "c", "gone"});
  // Values carrying tags: one more round trip reads the generations of all of them at once.
  expect_round_trips(redis.stats().round_trips - before, 2);
  EXPECT_EQ(values[0], "1");
  EXPECT_EQ(values[1], "2");
  EXPECT_EQ(values[2], "3");
  EXPECT_FALSE(values[3].has_value());
  const auto negative_hits = cache.stats().negative_hits;
  EXPECT_EQ(negative_hits, 1u);

  cache.invalidate_tag("group");
  values = cache.mget({"a", "b", "c"});
  EXPECT_FALSE(values[0].has_value());
  EXPECT_FALSE(values[1].has_value());
  EXPECT_EQ(values[2], "3");
  cache.delete_pattern("*");
}

TEST_P(CacheTest, DisabledCacheMgetMissesAndMsetWritesNothing) {
  auto options = mode_options();
  options.enabled = false;
  Cache cache(options);
  EXPECT_EQ(cache.mset({{"a", "1"}, {"b", "2"}}), 0u);
  EXPECT_EQ(cache.stats().writes_skipped, 2u);
  EXPECT_EQ(cache.redis().command({"EXISTS", cache.redis_key("a")}).integer(), 0);
  const auto values = cache.mget({"a", "b"});
  EXPECT_FALSE(values[0].has_value());
  EXPECT_FALSE(values[1].has_value());
}

// A user type with its own codec: "x,y".
struct Point {
  int x = 0;
  int y = 0;
  bool operator==(const Point& o) const { return x == o.x && y == o.y; }
};

// Something else stored under the Point format, which Point's codec cannot read.
struct NotAPoint {};

template <>
struct pgfast::CacheCodec<Point> {
  static constexpr std::uint8_t format = 16;
  static std::string encode(const Point& p) {
    return std::to_string(p.x) + "," + std::to_string(p.y);
  }
  static Point decode(std::string_view bytes) {
    const auto comma = bytes.find(',');
    if (comma == std::string_view::npos) throw std::invalid_argument("not a Point");
    return Point{std::stoi(std::string(bytes.substr(0, comma))),
                 std::stoi(std::string(bytes.substr(comma + 1)))};
  }
};

template <>
struct pgfast::CacheCodec<NotAPoint> {
  static constexpr std::uint8_t format = 16;
  static std::string encode(const NotAPoint&) { return "garbage"; }
  static NotAPoint decode(std::string_view) { return {}; }
};

TEST_P(CacheTest, TypedValuesGoThroughTheirCodec) {
  Cache cache(mode_options());
  EXPECT_TRUE(cache.set("p", Point{3, 4}));
  EXPECT_EQ(cache.get<Point>("p"), (Point{3, 4}));
  // Stored as the codec wrote it, in an envelope with the codec's format.
  EXPECT_TRUE(cache.redis().command({"GET", cache.redis_key("p")}).str().find("3,4") !=
              std::string::npos);

  EXPECT_EQ(cache.mset<Point>({{"p1", {1, 1}}, {"p2", {2, 2}}}), 2u);
  const auto points = cache.mget<Point>({"p1", "p2", "p3"});
  EXPECT_EQ(points[0], (Point{1, 1}));
  EXPECT_EQ(points[1], (Point{2, 2}));
  EXPECT_FALSE(points[2].has_value());

  int calls = 0;
  const pgfast::CacheLoader<Point> loader = [&]() -> std::optional<Point> {
    ++calls;
    return Point{7, 8};
  };
  EXPECT_EQ(cache.cached<Point>("point:{id}", {{"id", 7}}, milliseconds(60000), loader),
            (Point{7, 8}));
  EXPECT_EQ(cache.cached<Point>("point:{id}", {{"id", 7}}, milliseconds(60000), loader),
            (Point{7, 8}));
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(cache.get<Point>("point:7"), (Point{7, 8}));

  // Json is built in.
  EXPECT_TRUE(cache.set("j", pgfast::Json{R"({"a": 1})"}));
  EXPECT_EQ(cache.get<pgfast::Json>("j")->text, R"({"a": 1})");
  EXPECT_EQ(cache.stats().decode_errors, 0u);
  cache.delete_pattern("*");
}

TEST_P(CacheTest, UndecodableValuesAreCountedMisses) {
  Cache cache(mode_options());
  // Bytes of the right format that the codec throws on.
  EXPECT_TRUE(cache.set("p", NotAPoint{}));
  auto before = cache.stats();
  EXPECT_FALSE(cache.get<Point>("p").has_value());
  auto after = cache.stats();
  EXPECT_EQ(after.decode_errors - before.decode_errors, 1u);
  EXPECT_EQ(after.misses - before.misses, 1u);
  EXPECT_EQ(after.hits, before.hits);
  // Another format (a string, JSON): not a Point either.
  cache.set("s", "1,2");
  cache.set("j", pgfast::Json{"[1, 2]"});
  EXPECT_FALSE(cache.get<Point>("s").has_value());
  EXPECT_FALSE(cache.mget<Point>({"j"}).front().has_value());
  EXPECT_FALSE(cache.get<pgfast::Json>("p").has_value());
  EXPECT_EQ(cache.stats().decode_errors - before.decode_errors, 4u);
  // Strings read anything.
  EXPECT_EQ(cache.get("p"), "garbage");
  // Read-through over an undecodable value: a miss, so the loader runs and its value replaces it.
  int calls = 0;
  const auto value = cache.cached_key<Point>("p", milliseconds(60000), [&] {
    ++calls;
    return std::optional<Point>(Point{5, 6});
  });
  EXPECT_EQ(value, (Point{5, 6}));
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(cache.get<Point>("p"), (Point{5, 6}));
  cache.delete_pattern("*");
}

TEST_P(CacheTest, TypedReadThroughSharesOneLoadBetweenThreads) {
  Cache cache(mode_options());
  std::atomic<int> calls{0};
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  const pgfast::CacheLoader<Point> loader = [&]() -> std::optional<Point> {
    ++calls;
    released.wait();
    return Point{9, 9};
  };
  std::vector<std::future<std::optional<Point>>> results;
  for (int i = 0; i < 8; ++i) {
    results.push_back(std::async(std::launch::async, [&] {
      return cache.cached_key<Point>("shared", milliseconds(60000), loader);
    }));
  }
  // The first caller is loading; the others share its load (in this process, or through its
  // lease) and decode the bytes it stored.
  ASSERT_TRUE(pgfast_test::eventually([&] { return calls.load() == 1; }));
  release.set_value();
  for (auto& r : results) EXPECT_EQ(r.get(), (Point{9, 9}));
  EXPECT_EQ(calls.load(), 1);
  cache.delete_pattern("*");
}

TEST_P(CacheTest, TypedBackgroundRefreshStoresThroughTheCodec) {
  Cache cache(mode_options());
  CachedOptions early;
  early.early_refresh = milliseconds(60000);  // the whole TTL: every hit queues a refresh
  auto version = std::make_shared<std::atomic<int>>(1);
  const pgfast::CacheLoader<Point> loader = [version]() -> std::optional<Point> {
    return Point{version->load(), 0};
  };
  EXPECT_EQ(cache.cached_key<Point>("r", milliseconds(60000), loader, early), (Point{1, 0}));
  version->store(2);
  // A hit: served at once, the reload runs on the refresh thread.
  EXPECT_EQ(cache.cached_key<Point>("r", milliseconds(60000), loader, early), (Point{1, 0}));
  CacheAccess::wait_for_refreshes(cache);
  EXPECT_EQ(cache.get<Point>("r"), (Point{2, 0}));
  EXPECT_EQ(cache.stats().refreshes, 1u);
  EXPECT_EQ(cache.stats().decode_errors, 0u);
  cache.delete_pattern("*");
}

// --- cluster only
// ---------------------------------------------------------------------------------

// Cluster-mode properties that have no single-node counterpart: instantiated for "cluster" only.
class CacheClusterTest : public CacheTest {};

INSTANTIATE_TEST_SUITE_P(, CacheClusterTest, ::testing::Values(RedisMode::cluster),
                         pgfast_test::redis_mode_name);

// Keys of every kind (values, their tags, the leases of loads in flight) spread over all masters:
// counted per slot used (CLUSTER COUNTKEYSINSLOT) and per node (DBSIZE), both through command_on.
TEST_P(CacheClusterTest, KeysSpreadOverEveryMaster) {
  Cache cache(mode_options());
  pgfast::Redis redis = cache.redis();
  const std::vector<std::string> masters = redis.masters();
  ASSERT_EQ(masters.size(), 3u);
  std::map<std::string, long long> dbsize_before;
  for (const auto& m : masters) dbsize_before[m] = redis.command_on(m, {"DBSIZE"}).integer();

  constexpr int kKeys = 600;
  std::vector<std::pair<std::string, std::string>> items;
  std::vector<std::string> full_keys;
  for (int i = 0; i < kKeys; ++i) {
    items.emplace_back("item:" + std::to_string(i), "v");
    full_keys.push_back(cache.redis_key(items.back().first));
  }
  std::vector<std::string> tags;
  for (int i = 0; i < 30; ++i) {
    tags.push_back("group:" + std::to_string(i));
    full_keys.push_back(cache.tag_key(tags.back()));
  }
  // One tag per item (30 tag keys in all): set() creates the tag as it stores.
  for (int i = 0; i < kKeys; ++i) {
    ASSERT_TRUE(cache.set(items[i].first, items[i].second, milliseconds(60000), {tags[i % 30]}));
  }
  std::set<int> slots;
  for (const auto& k : full_keys) slots.insert(pgfast::cluster::key_slot(k));

  std::map<std::string, long long> in_slots;  // per master: keys in the slots we used
  long long total = 0;
  for (const auto& m : masters) {
    for (int slot : slots) {
      in_slots[m] +=
          redis.command_on(m, {"CLUSTER", "COUNTKEYSINSLOT", std::to_string(slot)}).integer();
    }
    total += in_slots[m];
    const long long added = redis.command_on(m, {"DBSIZE"}).integer() - dbsize_before[m];
    EXPECT_EQ(added, in_slots[m]) << m;  // each key is on the master of its slot, and only there
    // A third of 630 keys each, give or take: none empty, none holding nearly everything.
    EXPECT_GT(in_slots[m], static_cast<long long>(full_keys.size()) / 6) << m;
  }
  EXPECT_EQ(total, static_cast<long long>(full_keys.size()));
  // Every value's tags are read with it, across slots: all hit.
  const auto values = cache.mget({"item:0", "item:1", "item:599"});
  for (const auto& v : values) EXPECT_EQ(v, "v");
  // A tag bump across slots, and a delete across masters, reach every key.
  cache.invalidate_tags(tags);
  EXPECT_FALSE(cache.get("item:0").has_value());
  EXPECT_EQ(cache.delete_pattern("item:*"), static_cast<std::size_t>(kKeys));
  EXPECT_EQ(cache.invalidate_tag_pattern("group:*"), 30u);
  for (const auto& m : masters) {
    EXPECT_EQ(redis.command_on(m, {"DBSIZE"}).integer(), dbsize_before[m]) << m;
  }
}

// The master owning one key does not answer (CLIENT PAUSE, as CacheFaults does on a single node):
// calls on that key fall through at the command timeout as when Redis is down; keys on the other
// masters are still served; afterwards the key is cached again, without a restart.
TEST_P(CacheClusterTest, AKeysPausedMasterFallsThroughOthersServe) {
  auto o = mode_options();
  o.redis.command_timeout = milliseconds(200);
  Cache cache(o);
  pgfast::Redis redis = cache.redis();
  const std::vector<std::string> masters = redis.masters();
  // Two keys on different masters: "a" and the first "b<n>" elsewhere.
  auto owner = [&](const std::string& key) {
    return pgfast_test::owner_of(redis, cache.redis_key(key));
  };
  const std::string paused = owner("a");
  ASSERT_FALSE(paused.empty());
  std::string other;
  for (int i = 0; other.empty(); ++i) {
    if (owner("b" + std::to_string(i)) != paused) other = "b" + std::to_string(i);
  }
  CountingLoader loader;
  EXPECT_EQ(cache.cached_key("a", milliseconds(60000), loader.fn()), "loaded");
  EXPECT_EQ(cache.cached_key(other, milliseconds(60000), loader.fn()), "loaded");
  EXPECT_EQ(loader.calls.load(), 2);

  redis.command_on(paused, {"CLIENT", "PAUSE", "3000"});
  EXPECT_EQ(cache.cached_key("a", milliseconds(60000), loader.fn()), "loaded");  // fell through
  EXPECT_EQ(loader.calls.load(), 3);
  EXPECT_EQ(cache.cached_key(other, milliseconds(60000), loader.fn()), "loaded");  // a hit
  EXPECT_EQ(loader.calls.load(), 3);
  EXPECT_GE(cache.stats().errors, 1u);
  // Both calls returned while the master was still paused: they did not wait for it.
  EXPECT_THROW(redis.command_on(paused, {"PING"}), pgfast::RedisUnavailableError);
  // Served again once the pause ends.
  EXPECT_TRUE(pgfast_test::eventually([&] { return cache.get("a") == "loaded"; }));
  cache.delete_pattern("*");
}

// --- faults (a private redis-server) ------------------------------------------------------------

TEST(CacheFaults, RedisStoppedLoadersServeRestartedCacheWorksAgain) {
  RedisServer server;
  auto options = cache_options(server.url());
  options.redis.connect_timeout = milliseconds(200);
  options.redis.command_timeout = milliseconds(200);
  options.redis.probe_idle_after = milliseconds(1000);  // as CacheOptions::from_settings
  Cache cache(options);
  CountingLoader loader;
  EXPECT_EQ(cache.cached_key("k", milliseconds(60000), loader.fn()), "loaded");
  EXPECT_EQ(cache.cached_key("k", milliseconds(60000), loader.fn()), "loaded");
  EXPECT_EQ(loader.calls.load(), 1);

  server.stop();
  // Every operation: no exception; reads fall through to the loader, writes are skipped.
  EXPECT_EQ(cache.cached_key("k", milliseconds(60000), loader.fn()), "loaded");
  EXPECT_EQ(loader.calls.load(), 2);
  EXPECT_FALSE(cache.get("k").has_value());
  EXPECT_FALSE(cache.set("k2", "v"));
  EXPECT_FALSE(cache.exists("k"));
  EXPECT_FALSE(cache.del("k"));
  EXPECT_FALSE(cache.increment("n").has_value());
  EXPECT_EQ(cache.delete_pattern("*"), 0u);
  EXPECT_EQ(cache.get_or_set("g", [] { return std::string("x"); }), "x");
  const auto missed = cache.mget({"k", "k2"});
  EXPECT_FALSE(missed[0].has_value());
  EXPECT_FALSE(missed[1].has_value());
  EXPECT_EQ(cache.mset({{"k", "v"}, {"k2", "v"}}), 0u);
  cache.invalidate_tag("t");
  const auto down = cache.stats();
  EXPECT_GE(down.errors, 8u);
  EXPECT_GE(down.writes_skipped, 4u);

  ASSERT_TRUE(server.restart());
  // Same Cache object: works again once the pool reconnects (down_backoff 100 ms).
  EXPECT_TRUE(pgfast_test::eventually([&] { return cache.set("k", "after restart"); }));
  EXPECT_EQ(cache.get("k"), "after restart");
  EXPECT_EQ(cache.cached_key("k", milliseconds(60000), loader.fn()), "after restart");
  EXPECT_EQ(loader.calls.load(), 2);
}

TEST(CacheFaults, StrictModeThrows) {
  RedisServer server;
  auto options = cache_options(server.url());
  options.strict = true;
  options.redis.connect_timeout = milliseconds(200);
  Cache cache(options);
  EXPECT_TRUE(cache.set("k", "v"));
  server.stop();
  CountingLoader loader;
  EXPECT_THROW(cache.get("k"), pgfast::RedisUnavailableError);
  EXPECT_THROW(cache.cached_key("k", milliseconds(1000), loader.fn()),
               pgfast::RedisUnavailableError);
  EXPECT_THROW(cache.set("k", "v"), pgfast::RedisUnavailableError);
}

TEST(CacheFaults, ClientPauseCallsReturnWithinTheTimeout) {
  RedisServer server;
  auto options = cache_options(server.url());
  options.redis.command_timeout = milliseconds(200);
  Cache cache(options);
  cache.set("k", "v");
  pgfast::Redis admin(redis_options(server.url(), 1));
  admin.command({"CLIENT", "PAUSE", "1500"});
  CountingLoader loader;
  const auto start = Clock::now();
  EXPECT_EQ(cache.cached_key("k", milliseconds(60000), loader.fn()), "loaded");  // fell through
  const auto elapsed = ms_since(start);
  EXPECT_LT(elapsed, 1000) << "a paused Redis held the call for " << elapsed << " ms";
  const auto start_get = Clock::now();
  EXPECT_FALSE(cache.get("k").has_value());
  EXPECT_LT(ms_since(start_get), 1000);
  EXPECT_GE(cache.stats().errors, 2u);
  // Usable again once the pause ends (CLIENT UNPAUSE would itself be paused).
  EXPECT_TRUE(pgfast_test::eventually([&] { return cache.get("k") == "v"; }));
}
