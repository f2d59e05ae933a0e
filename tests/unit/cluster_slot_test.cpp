// Redis Cluster hash slots without a server: CRC16, hash tags and key -> slot with the vectors of
// the Redis Cluster specification, and the one-slot check for multi-key commands.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "redis/cluster_slot.hpp"
#include "pgfast/errors.hpp"

using pgfast::cluster::common_slot;
using pgfast::cluster::crc16;
using pgfast::cluster::hash_tag;
using pgfast::cluster::key_slot;

TEST(ClusterSlot, Crc16IsXmodem) {
  EXPECT_EQ(crc16("123456789"), 0x31C3);  // the spec's check value
  EXPECT_EQ(crc16(""), 0);
  EXPECT_EQ(crc16("foo"), 0xAF96);
  // Binary safe: a NUL byte and bytes >= 0x80 are hashed like any other.
  EXPECT_NE(crc16(std::string("a\0b", 3)), crc16("ab"));
  EXPECT_EQ(crc16("\xff"), 0x1EF0);
}

TEST(ClusterSlot, KeySlotsMatchRedis) {
  // Values CLUSTER KEYSLOT returns (the integration test checks more against a real cluster).
  EXPECT_EQ(key_slot("123456789"), 12739);
  EXPECT_EQ(key_slot("foo"), 12182);
  EXPECT_EQ(key_slot("bar"), 5061);
  EXPECT_EQ(key_slot("hello"), 866);
  EXPECT_EQ(key_slot(""), 0);
}

TEST(ClusterSlot, HashTagRules) {
  // The examples of the Redis Cluster specification.
  EXPECT_EQ(hash_tag("{user1000}.following"), "user1000");
  EXPECT_EQ(hash_tag("{user1000}.followers"), "user1000");
  EXPECT_EQ(key_slot("{user1000}.following"), key_slot("{user1000}.followers"));
  EXPECT_EQ(key_slot("{user1000}.following"), key_slot("user1000"));
  EXPECT_EQ(hash_tag("foo{}{bar}"), "foo{}{bar}");  // empty tag: the whole key
  EXPECT_EQ(hash_tag("foo{{bar}}zap"), "{bar");     // first '{', then the next '}'
  EXPECT_EQ(key_slot("foo{{bar}}zap"), 4015);
  EXPECT_EQ(hash_tag("foo{bar}{zap}"), "bar");  // only the first tag counts
  EXPECT_EQ(key_slot("foo{bar}{zap}"), key_slot("bar"));
  // No closing brace, or only a closing one: the whole key.
  EXPECT_EQ(hash_tag("foo{bar"), "foo{bar");
  EXPECT_EQ(hash_tag("foo}bar{"), "foo}bar{");
  EXPECT_EQ(hash_tag("}{x}"), "x");
  EXPECT_EQ(hash_tag("{}"), "{}");
  EXPECT_EQ(hash_tag("{"), "{");
  EXPECT_EQ(hash_tag("no tag"), "no tag");
}

TEST(ClusterSlot, EverySlotIsInRange) {
  for (int i = 0; i < 100000; ++i) {
    const int slot = key_slot("key:" + std::to_string(i));
    ASSERT_GE(slot, 0);
    ASSERT_LT(slot, pgfast::cluster::kSlotCount);
  }
}

TEST(ClusterSlot, CommonSlotOfKeysWithOneTag) {
  EXPECT_EQ(common_slot({}, "MGET"), std::nullopt);
  EXPECT_EQ(common_slot({"foo"}, "MGET"), 12182);
  EXPECT_EQ(common_slot({"rl:{42}:minute", "rl:{42}:hour", "{42}"}, "EVALSHA"), key_slot("42"));
}

TEST(ClusterSlot, CrossSlotKeysAreRefusedNamingThem) {
  try {
    common_slot({"{a}x", "{a}y", "foo", "{a}z"}, "MSET");
    FAIL() << "no error";
  } catch (const pgfast::UsageError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.rfind("CROSSSLOT MSET:", 0), 0u) << message;
    EXPECT_NE(message.find("\"{a}x\" is in slot " + std::to_string(key_slot("a"))),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("\"foo\" in slot 12182"), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos);
  }
}
