// Redis Cluster slot maps without a server: CLUSTER SLOTS replies as Redis 7 and older versions
// send them, gaps, unknown endpoints, and replies that must be refused.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "redis/cluster_slot_map.hpp"
#include "pgfast/errors.hpp"
#include "pgfast/redis/redis_reply.hpp"

using pgfast::RedisReply;
using pgfast::cluster::kSlotCount;
using pgfast::cluster::NodeAddress;
using pgfast::cluster::SlotMap;

namespace {

RedisReply integer(long long v) {
  return RedisReply::make_integer(v);
}
RedisReply str(std::string s) {
  return RedisReply::make_string(std::move(s));
}
RedisReply array(std::vector<RedisReply> elements) {
  return RedisReply::make_array(std::move(elements));
}

// A node as Redis 7 writes it: [endpoint, port, id, {metadata}].
RedisReply node(RedisReply endpoint, long long port, const std::string& id = "") {
  return array({std::move(endpoint), integer(port),
                str(id.empty() ? "id" + std::to_string(port) : id), array({})});
}
RedisReply node(const std::string& host, long long port) {
  return node(str(host), port);
}

RedisReply entry(long long first, long long last, std::vector<RedisReply> nodes) {
  std::vector<RedisReply> e = {integer(first), integer(last)};
  for (auto& n : nodes) e.push_back(std::move(n));
  return array(std::move(e));
}

// The map of a 3-master, 3-replica cluster as redis-cli --cluster create lays it out.
RedisReply three_shards() {
  return array({
      entry(0, 5460, {node("127.0.0.1", 7000), node("127.0.0.1", 7004)}),
      entry(5461, 10922, {node("127.0.0.1", 7001), node("127.0.0.1", 7005)}),
      entry(10923, 16383, {node("127.0.0.1", 7002), node("127.0.0.1", 7003)}),
  });
}

std::string parse_error(const RedisReply& reply) {
  try {
    SlotMap::from_cluster_slots(reply, "seed");
  } catch (const pgfast::RedisError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no error for " << reply.debug_string();
  return {};
}

}  // namespace

TEST(ClusterSlotMap, ThreeMastersEachWithOneReplica) {
  const SlotMap map = SlotMap::from_cluster_slots(three_shards(), "127.0.0.1");
  EXPECT_TRUE(map.complete());
  EXPECT_EQ(map.served_slots(), kSlotCount);
  EXPECT_TRUE(map.gaps().empty());
  EXPECT_EQ(map.describe_gaps(), "");
  ASSERT_EQ(map.shards().size(), 3u);
  ASSERT_EQ(map.ranges().size(), 3u);
  EXPECT_EQ(map.shards()[1].master, (NodeAddress{"127.0.0.1", 7001}));
  ASSERT_EQ(map.shards()[1].replicas.size(), 1u);
  EXPECT_EQ(map.shards()[1].replicas[0], (NodeAddress{"127.0.0.1", 7005}));
  EXPECT_EQ(map.shard_for_slot(0)->master.port, 7000);
  EXPECT_EQ(map.shard_for_slot(5460)->master.port, 7000);
  EXPECT_EQ(map.shard_for_slot(5461)->master.port, 7001);
  EXPECT_EQ(map.shard_for_slot(16383)->master.port, 7002);
  EXPECT_EQ(map.shard_for_slot(-1), nullptr);
  EXPECT_EQ(map.shard_for_slot(kSlotCount), nullptr);
}

TEST(ClusterSlotMap, EmptyMapServesNothing) {
  const SlotMap empty;
  EXPECT_FALSE(empty.complete());
  EXPECT_EQ(empty.shard_for_slot(0), nullptr);
  EXPECT_EQ(empty.describe_gaps(), "0-16383");
  const SlotMap parsed = SlotMap::from_cluster_slots(array({}), "seed");
  EXPECT_EQ(parsed.served_slots(), 0);
  EXPECT_EQ(parsed.gaps(), (std::vector<std::pair<int, int>>{{0, kSlotCount - 1}}));
}

TEST(ClusterSlotMap, GapsAreReportedNotRefused) {
  const SlotMap map =
      SlotMap::from_cluster_slots(array({entry(100, 5000, {node("10.0.0.1", 6379)}),
                                         entry(5002, 16000, {node("10.0.0.2", 6379)})}),
                                  "seed");
  EXPECT_FALSE(map.complete());
  EXPECT_EQ(map.served_slots(), 4901 + 10999);
  EXPECT_EQ(map.gaps(), (std::vector<std::pair<int, int>>{{0, 99}, {5001, 5001}, {16001, 16383}}));
  EXPECT_EQ(map.describe_gaps(), "0-99, 5001, 16001-16383");
  EXPECT_EQ(map.shard_for_slot(5001), nullptr);
  EXPECT_EQ(map.shard_for_slot(5000)->master.host, "10.0.0.1");
}

TEST(ClusterSlotMap, OneMasterWithSeveralRangesIsOneShard) {
  // After resharding a master serves non-contiguous ranges; Redis lists each as its own entry, in
  // any order.
  const SlotMap map =
      SlotMap::from_cluster_slots(array({entry(8000, 16383, {node("h", 2), node("h", 12)}),
                                         entry(0, 99, {node("h", 2), node("h", 12)}),
                                         entry(100, 7999, {node("h", 1), node("h", 11)})}),
                                  "seed");
  EXPECT_TRUE(map.complete());
  ASSERT_EQ(map.shards().size(), 2u);
  EXPECT_EQ(map.shards()[0].master.port, 2);  // in order of the first slot
  EXPECT_EQ(map.shards()[0].replicas, (std::vector<NodeAddress>{{"h", 12}}));
  EXPECT_EQ(map.shards()[1].master.port, 1);
  ASSERT_EQ(map.ranges().size(), 3u);
  EXPECT_EQ(map.ranges()[0].first, 0);
  EXPECT_EQ(map.ranges()[0].shard, 0u);
  EXPECT_EQ(map.ranges()[2].shard, 0u);
  EXPECT_EQ(map.shard_for_slot(99), map.shard_for_slot(8000));
}

TEST(ClusterSlotMap, OlderReplyShapesAndUnknownEndpoints) {
  // Redis 3: [ip, port]; an endpoint nil or "" is the seed's host; "?" cannot be reached.
  const SlotMap map = SlotMap::from_cluster_slots(
      array(
          {entry(0, 99, {array({str("10.0.0.1"), integer(6379)}), array({str(""), integer(6380)})}),
           entry(100, 199, {node(RedisReply::make_nil(), 6381), node(str("?"), 6382)}),
           entry(200, 16383, {node(str("?"), 6383), node("10.0.0.9", 6384)})}),
      "seed.example");
  ASSERT_EQ(map.shards().size(), 2u);
  EXPECT_EQ(map.shards()[0].master, (NodeAddress{"10.0.0.1", 6379}));
  EXPECT_EQ(map.shards()[0].replicas, (std::vector<NodeAddress>{{"seed.example", 6380}}));
  EXPECT_EQ(map.shards()[1].master, (NodeAddress{"seed.example", 6381}));
  EXPECT_TRUE(map.shards()[1].replicas.empty());
  EXPECT_EQ(map.describe_gaps(), "200-16383");
}

TEST(ClusterSlotMap, MalformedRepliesAreRefusedNamingTheProblem) {
  const RedisReply ok_node = node("h", 1);
  const std::vector<std::pair<RedisReply, std::string>> cases = {
      {str("OK"), "not an array"},
      {array({integer(1)}), "entry 0 is not [first, last, master, replicas...]"},
      {array({entry(0, 1, {})}), "entry 0 is not [first, last, master, replicas...]"},
      {array({entry(-1, 1, {ok_node})}), "entry 0's first slot is not a slot number 0..16383"},
      {array({entry(0, 16384, {ok_node})}), "entry 0's last slot is not a slot number 0..16383"},
      {array({array({str("0"), integer(1), ok_node})}), "entry 0's first slot is not a slot"},
      {array({entry(10, 9, {ok_node})}), "entry 0's first slot is after its last"},
      {array({entry(0, 1, {array({str("h")})})}), "entry 0's master is not [host, port, ...]"},
      {array({entry(0, 1, {array({str("h"), integer(0)})})}),
       "entry 0's master is not [host, port 1..65535, ...]"},
      {array({entry(0, 1, {array({integer(1), integer(2)})})}),
       "entry 0's master is not [host, port 1..65535, ...]"},
      {array({entry(0, 1, {ok_node, str("replica")})}),
       "entry 0's replica 1 is not [host, port, ...]"},
      {array({entry(0, 100, {ok_node}), entry(100, 200, {node("h", 2)})}),
       "slot 100 is claimed by both h:1 and h:2"},
  };
  for (const auto& [reply, expected] : cases) {
    const std::string message = parse_error(reply);
    EXPECT_EQ(message.rfind("CLUSTER SLOTS reply: " + expected, 0), 0u)
        << "reply " << reply.debug_string() << ": " << message;
    EXPECT_EQ(message.find('\n'), std::string::npos);
  }
}
