// The test cluster (redis_cluster.sh) and the cluster protocol's pure pieces against real Redis
// Cluster nodes: CLUSTER SLOTS read through pgfast::Redis (a single-node client on one node)
// parses into a complete map of 3 masters with one replica each; key slots agree with CLUSTER
// KEYSLOT; real MOVED and CROSSSLOT replies parse and classify as the client will need.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "redis/cluster_redirect.hpp"
#include "redis/cluster_slot.hpp"
#include "redis/cluster_slot_map.hpp"
#include "pgfast/errors.hpp"
#include "pgfast/redis/redis.hpp"
#include "redis_cluster.hpp"
#include "redis_server.hpp"

using pgfast::cluster::classify_cluster_error;
using pgfast::cluster::ClusterError;
using pgfast::cluster::key_slot;
using pgfast::cluster::NodeAddress;
using pgfast::cluster::SlotMap;

namespace {

pgfast::Redis node(const std::string& url) {
  return pgfast::Redis(pgfast_test::redis_options(url, 1));
}

}  // namespace

// One test for all of it: starting a cluster takes ~10 s, and ctest runs each test in a process
// of its own.
TEST(RedisCluster, SlotMapKeySlotsAndRedirectionsAgainstARealCluster) {
  const pgfast_test::RedisCluster cluster;
  ASSERT_EQ(cluster.seed_urls().size(), 6u);

  // CLUSTER SLOTS through a single-node client on one node: every slot, 3 masters + 1 replica each.
  const SlotMap map = SlotMap::from_cluster_slots(
      node(cluster.seed_urls()[0]).command({"CLUSTER", "SLOTS"}), "127.0.0.1");
  ASSERT_TRUE(map.complete()) << "gaps: " << map.describe_gaps();
  EXPECT_EQ(map.served_slots(), pgfast::cluster::kSlotCount);
  ASSERT_EQ(map.shards().size(), 3u);
  std::set<std::string> nodes;
  for (const auto& shard : map.shards()) {
    ASSERT_EQ(shard.replicas.size(), 1u) << shard.master.to_string();
    nodes.insert("redis://" + shard.master.to_string());
    nodes.insert("redis://" + shard.replicas[0].to_string());
  }
  // Six distinct nodes, exactly the seeds the script printed.
  EXPECT_EQ(nodes, std::set<std::string>(cluster.seed_urls().begin(), cluster.seed_urls().end()));

  {
    SCOPED_TRACE("key_slot agrees with CLUSTER KEYSLOT");
    pgfast::Redis redis = node(cluster.seed_urls()[1]);
    const std::vector<std::string> keys = {"123456789",
                                           "foo",
                                           "{user1000}.following",
                                           "foo{}{bar}",
                                           "foo{{bar}}zap",
                                           "foo{bar}{zap}",
                                           "rl:{42}:minute",
                                           std::string("bin\0\xff{x", 7),
                                           "",
                                           "io:cache:search:results:abc"};
    for (const auto& key : keys) {
      EXPECT_EQ(redis.command({"CLUSTER", "KEYSLOT", key}).integer(), key_slot(key)) << key;
    }
  }

  // A real MOVED parses, a real CROSSSLOT classifies.
  const std::string key = "foo";
  const NodeAddress owner = map.shard_for_slot(key_slot(key))->master;
  // A master that does not own the key answers MOVED to the one that does.
  const auto other =
      std::find_if(map.shards().begin(), map.shards().end(),
                   [&](const pgfast::cluster::Shard& s) { return s.master != owner; });
  ASSERT_NE(other, map.shards().end());
  pgfast::Redis wrong_node = node("redis://" + other->master.to_string());
  try {
    wrong_node.command({"GET", key});
    FAIL() << "no MOVED from " << other->master.to_string();
  } catch (const pgfast::RedisReplyError& e) {
    const auto redirect = pgfast::cluster::parse_redirect(e.what());
    ASSERT_TRUE(redirect.has_value()) << e.what();
    EXPECT_FALSE(redirect->ask);
    EXPECT_EQ(redirect->slot, key_slot(key));
    EXPECT_EQ(redirect->node, owner);
  }
  // Keys in different slots: the server refuses them with CROSSSLOT, and the client-side check
  // refuses the same keys before sending.
  pgfast::Redis owner_node = node("redis://" + owner.to_string());
  const std::vector<std::string> keys = {"foo", "{foo}bar", "bar"};
  try {
    owner_node.command({"MGET", keys[0], keys[1], keys[2]});
    FAIL() << "no CROSSSLOT";
  } catch (const pgfast::RedisReplyError& e) {
    EXPECT_EQ(classify_cluster_error(e.what()), ClusterError::cross_slot) << e.what();
  }
  EXPECT_THROW(pgfast::cluster::common_slot(keys, "MGET"), pgfast::UsageError);
  EXPECT_EQ(pgfast::cluster::common_slot({"foo", "{foo}bar"}, "MGET"), key_slot("foo"));
}
