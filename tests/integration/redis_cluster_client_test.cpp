// pgfast::Redis in cluster mode against a real 3-master + 3-replica cluster. These tests need the
// cluster handed in as REDIS_CLUSTER_NODES: ctest runs them all in one process under
// tests/integration/redis_cluster.sh (ctest integration.redis_cluster.client), since a cluster
// takes ~10 s to start.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "pgfast/errors.hpp"
#include "pgfast/redis/redis.hpp"
#include "redis/cluster_slot.hpp"
#include "redis/redis_script.hpp"
#include "redis_cluster.hpp"
#include "redis_modes.hpp"
#include "redis_server.hpp"

using pgfast::Redis;
using pgfast::RedisOptions;
using pgfast::cluster::key_slot;
using pgfast_test::owner_of;

namespace {

RedisOptions cluster_options() {
  const std::vector<std::string> seeds = pgfast_test::cluster_seed_urls_from_env();
  if (seeds.empty()) {
    ADD_FAILURE() << "REDIS_CLUSTER_NODES is not set: run these tests through "
                     "tests/integration/redis_cluster.sh (ctest integration.redis_cluster.client)";
    throw std::runtime_error("REDIS_CLUSTER_NODES is not set");
  }
  RedisOptions o = pgfast_test::redis_options("redis://unused:1", 8);
  o.cluster_nodes = {seeds.front()};  // one seed is enough: the rest is discovered
  return o;
}

std::string unique_prefix(const std::string& test) {
  return "rcc:" + test + ":" + std::to_string(::getpid()) + ":";
}

}  // namespace

TEST(RedisClusterClient, KeysAreRoutedToTheirMastersAndSpreadOverAllThree) {
  Redis redis(cluster_options());
  ASSERT_TRUE(redis.cluster());
  const std::vector<std::string> masters = redis.masters();
  ASSERT_EQ(masters.size(), 3u);
  const std::string prefix = unique_prefix("spread");
  for (int i = 0; i < 3000; ++i) {
    redis.command({"SET", prefix + std::to_string(i), std::to_string(i)});
  }
  // Each master holds a share of the keys, and together exactly all of them.
  std::size_t total = 0;
  for (const auto& m : masters) {
    std::size_t here = 0;
    std::string cursor = "0";
    do {
      const auto r = redis.command_on(m, {"SCAN", cursor, "MATCH", prefix + "*", "COUNT", "1000"});
      cursor = r[0].str();
      here += r[1].elements().size();
    } while (cursor != "0");
    EXPECT_GT(here, 700u) << m;  // 1000 expected per master
    total += here;
  }
  EXPECT_EQ(total, 3000u);
  for (int i = 0; i < 3000; i += 97) {
    EXPECT_EQ(redis.command({"GET", prefix + std::to_string(i)}).str(), std::to_string(i));
  }
  // Routed from the slot map: no command needed a redirection.
  EXPECT_EQ(redis.stats().moved, 0u);
  EXPECT_EQ(redis.stats().ask, 0u);
  EXPECT_GE(redis.stats().slot_map_refreshes, 1u);
}

TEST(RedisClusterClient, KeysInDifferentSlotsAreRefusedBeforeAnythingIsSent) {
  Redis redis(cluster_options());
  const std::string a = unique_prefix("cross") + "a";
  const std::string b = unique_prefix("cross") + "b";
  ASSERT_NE(key_slot(a), key_slot(b));
  redis.ping();
  const auto before = redis.stats().commands;
  try {
    redis.command({"MSET", a, "1", b, "2"});
    FAIL() << "MSET across slots was sent";
  } catch (const pgfast::UsageError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("CROSSSLOT MSET", 0), 0u) << e.what();
  }
  EXPECT_THROW(redis.pipeline({{"SET", a, "1"}, {"DEL", a, b}}), pgfast::UsageError);
  EXPECT_EQ(redis.stats().commands, before);
  EXPECT_TRUE(redis.command({"EXISTS", a}).integer() == 0);
  // Keys sharing a hash tag share a slot: the same command then works.
  const std::string t1 = "{" + unique_prefix("tag") + "}.a";
  const std::string t2 = "{" + unique_prefix("tag") + "}.b";
  redis.command({"MSET", t1, "1", t2, "2"});
  const auto both = redis.command({"MGET", t1, t2});
  EXPECT_EQ(both[0].str(), "1");
  EXPECT_EQ(both[1].str(), "2");
}

TEST(RedisClusterClient, APipelineSpanningEveryMasterKeepsTheCallersOrder) {
  Redis redis(cluster_options());
  const std::string prefix = unique_prefix("pipe");
  std::vector<std::vector<std::string>> sets;
  std::vector<std::vector<std::string>> gets;
  std::set<std::string> owners;
  for (int i = 0; i < 60; ++i) {
    const std::string key = prefix + std::to_string(i);
    sets.push_back({"SET", key, "v" + std::to_string(i)});
    gets.push_back({"GET", key});
  }
  for (const auto& r : redis.pipeline(sets)) EXPECT_EQ(r.str(), "OK");
  const auto replies = redis.pipeline(gets);
  ASSERT_EQ(replies.size(), 60u);
  for (int i = 0; i < 60; ++i) EXPECT_EQ(replies[i].str(), "v" + std::to_string(i));
  for (int i = 0; i < 60; ++i) owners.insert(owner_of(redis, prefix + std::to_string(i)));
  EXPECT_EQ(owners.size(), 3u);
  // One round trip per master per pipeline, not one per command.
  const auto trips = redis.stats().round_trips;
  redis.pipeline(gets);
  EXPECT_EQ(redis.stats().round_trips - trips, 3u);
}

TEST(RedisClusterClient, MovedIsFollowedAndTheSlotMapRefreshedAfterASlotMoves) {
  Redis redis(cluster_options());
  const std::string key = unique_prefix("moved") + "k";
  redis.command({"SET", key, "before"});
  const int slot = key_slot(key);
  const std::string from = owner_of(redis, key);
  std::string to;
  for (const auto& m : redis.masters()) {
    if (m != from) to = m;
  }
  Redis admin(cluster_options());
  pgfast_test::move_slot(admin, slot, from, to);
  EXPECT_EQ(owner_of(admin, key), to);
  // `redis` still maps the slot to `from`, which answers MOVED: followed, no error.
  const auto refreshes = redis.stats().slot_map_refreshes;
  EXPECT_EQ(redis.command({"GET", key}).str(), "before");
  EXPECT_EQ(redis.stats().moved, 1u);
  EXPECT_GT(redis.stats().slot_map_refreshes, refreshes);
  // With the new map, the next command goes straight to the new owner.
  redis.command({"SET", key, "after"});
  EXPECT_EQ(redis.stats().moved, 1u);
  pgfast_test::move_slot(admin, slot, to, from);  // put it back
  EXPECT_EQ(redis.command({"GET", key}).str(), "after");
}

TEST(RedisClusterClient, AskIsFollowedWithAskingWhileASlotIsHalfMoved) {
  Redis redis(cluster_options());
  const std::string tag = "{" + unique_prefix("ask") + "}";
  const std::string moved_key = tag + "moved";
  const std::string stays_key = tag + "stays";
  redis.command({"SET", moved_key, "m"});
  redis.command({"SET", stays_key, "s"});
  const int slot = key_slot(moved_key);
  const std::string from = owner_of(redis, moved_key);
  std::string to;
  for (const auto& m : redis.masters()) {
    if (m != from) to = m;
  }
  Redis admin(cluster_options());
  const std::string to_host = to.substr(0, to.rfind(':'));
  const std::string to_port = to.substr(to.rfind(':') + 1);
  pgfast_test::move_slot(admin, slot, from, to, [&] {
    // Half-moved: one key already on the target. The source answers ASK for it.
    admin.command_on(from, {"MIGRATE", to_host, to_port, moved_key, "0", "5000"});
    EXPECT_EQ(redis.command({"GET", moved_key}).str(), "m");
    EXPECT_EQ(redis.command({"GET", stays_key}).str(), "s");
    EXPECT_GE(redis.stats().ask, 1u);
    EXPECT_EQ(redis.stats().moved, 0u);
    // Both keys in one command while they are on two nodes: TRYAGAIN, retried within the budget
    // and then returned as the error it is.
    try {
      redis.command({"MGET", moved_key, stays_key});
    } catch (const pgfast::RedisReplyError& e) {
      EXPECT_EQ(e.code(), "TRYAGAIN") << e.what();
    }
    EXPECT_GE(redis.stats().cluster_retries, 1u);
  });
  EXPECT_EQ(redis.command({"MGET", moved_key, stays_key})[1].str(), "s");
  pgfast_test::move_slot(admin, slot, to, from);
}

TEST(RedisClusterClient, ScriptsAndCommandsOutsideTheTableAreRoutedByTheirKeys) {
  Redis redis(cluster_options());
  const std::string prefix = unique_prefix("script");
  pgfast::RedisScript script("return redis.call('INCRBY', KEYS[1], ARGV[1])");
  for (int i = 0; i < 30; ++i) {
    EXPECT_EQ(script.run(redis, {prefix + std::to_string(i)}, {"5"}).integer(), 5);
    EXPECT_EQ(script.run(redis, {prefix + std::to_string(i)}, {"2"}).integer(), 7);
    // OBJECT is not in the client's table: COMMAND GETKEYS says where its key is.
    EXPECT_EQ(redis.command({"OBJECT", "ENCODING", prefix + std::to_string(i)}).str(), "int");
  }
  EXPECT_EQ(redis.stats().moved, 0u);
}

TEST(RedisClusterClient, ReadsGoToReplicasOnlyWhenAskedTo) {
  RedisOptions o = cluster_options();
  o.read_from_replicas = true;
  Redis redis(o);
  const std::string prefix = unique_prefix("replica");
  for (int i = 0; i < 30; ++i) redis.command({"SET", prefix + std::to_string(i), "x"});
  // WAIT on each master (its pool's one connection, which sent the SETs) returns once the
  // replica has them, so the replica reads below see them.
  for (const auto& m : redis.masters()) {
    EXPECT_EQ(redis.command_on(m, {"WAIT", "1", "2000"}).integer(), 1) << m;
  }
  std::uint64_t replica_commands = 0;
  for (int i = 0; i < 30; ++i)
    EXPECT_EQ(redis.command({"GET", prefix + std::to_string(i)}).str(), "x");
  for (const auto& n : redis.node_stats()) {
    if (n.read_only) replica_commands += n.stats.commands;
  }
  EXPECT_GE(replica_commands, 30u);
  // Writes never go to a replica.
  redis.command({"SET", prefix + "w", "y"});
  // A client without the option sends nothing to replicas.
  Redis plain(cluster_options());
  for (int i = 0; i < 10; ++i) plain.command({"GET", prefix + std::to_string(i)});
  for (const auto& n : plain.node_stats()) {
    if (n.read_only) {
      EXPECT_EQ(n.stats.commands, 0u) << n.node;
    }
  }
}

TEST(RedisClusterClient, BadSeedsAreConfigurationErrors) {
  RedisOptions o;
  o.cluster_nodes = {"redis://127.0.0.1:1/3"};
  EXPECT_THROW(Redis{o}, pgfast::ConfigurationError);
  o.cluster_nodes = {"http://x"};
  EXPECT_THROW(Redis{o}, pgfast::ConfigurationError);
  // No seed answers: an unavailable error, as for a single server that is down.
  o.cluster_nodes = {"redis://127.0.0.1:" + std::to_string(pgfast_test::free_tcp_port())};
  Redis down(o);
  EXPECT_THROW(down.command({"GET", "k"}), pgfast::RedisUnavailableError);
  EXPECT_FALSE(down.ping());
}

TEST(RedisClusterClient, ARedirectionLoopIsAnUnavailableClusterNotAHang) {
  Redis redis(cluster_options());
  Redis admin(cluster_options());
  const std::string key = unique_prefix("loop") + "k";
  const int slot = key_slot(key);
  const std::string from = owner_of(admin, key);
  std::string to;
  for (const auto& m : admin.masters()) {
    if (m != from) to = m;
  }
  // Half a migration: the source says MIGRATING (so it answers ASK for a key it lacks), the
  // target was never told IMPORTING (so it answers MOVED back): ASK, MOVED, ASK, ...
  const std::string to_id = admin.command_on(to, {"CLUSTER", "MYID"}).str();
  admin.command_on(from, {"CLUSTER", "SETSLOT", std::to_string(slot), "MIGRATING", to_id});
  try {
    redis.command({"GET", key});
    ADD_FAILURE() << "a redirection loop returned";
  } catch (const pgfast::RedisUnavailableError& e) {
    EXPECT_NE(std::string(e.what()).find("cluster_max_redirects"), std::string::npos) << e.what();
  }
  admin.command_on(from, {"CLUSTER", "SETSLOT", std::to_string(slot), "STABLE"});
  EXPECT_TRUE(redis.command({"GET", key}).is_nil());
}
