// The limiter's Redis key layout (client/src/ratelimit/rate_limit_key.hpp): unchanged names on a
// single node; in Redis Cluster mode a hash tag that is exactly the identity, whatever braces the
// identity contains.
#include "ratelimit/rate_limit_key.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "pgfast/errors.hpp"
#include "pgfast/ratelimit/rate_limiter.hpp"
#include "redis/cluster_slot.hpp"

using pgfast::ConfigurationError;
using pgfast::rate_limit_key;
using pgfast::cluster::hash_tag;
using pgfast::cluster::key_slot;

TEST(RateLimitKey, SingleNodeNamesAreUnchanged) {
  EXPECT_EQ(rate_limit_key("rl:", "api", "user:7", false), "rl:api:user:7");
  EXPECT_EQ(rate_limit_key("rl:", "api", "user:{7}%", false), "rl:api:user:{7}%");
  EXPECT_EQ(rate_limit_key("app{1}:", "a{b}", "x", false), "app{1}:a{b}:x");  // no check
}

TEST(RateLimitKey, ClusterKeysTagTheWholeIdentity) {
  EXPECT_EQ(rate_limit_key("rl:", "api", "user:7", true), "rl:api:{user:7}");
  EXPECT_EQ(hash_tag(rate_limit_key("rl:", "api", "ip:2001:db8::1", true)), "ip:2001:db8::1");
  // Braces and '%' in the identity are percent-encoded: they can neither end the tag early nor
  // start another one.
  const std::string braces = rate_limit_key("rl:", "api", "user:a}b{c%", true);
  EXPECT_EQ(braces, "rl:api:{user:a%7Db%7Bc%25}");
  EXPECT_EQ(hash_tag(braces), "user:a%7Db%7Bc%25");
  // In the single-node layout these two would hash only "x" and share a slot; here each identity
  // is its own tag.
  const std::string x1 = rate_limit_key("rl:", "api", "user:{x}1", true);
  const std::string x2 = rate_limit_key("rl:", "api", "user:{x}2", true);
  EXPECT_EQ(key_slot("rl:api:user:{x}1"), key_slot("rl:api:user:{x}2"));
  EXPECT_EQ(hash_tag(x1), "user:%7Bx%7D1");
  EXPECT_NE(hash_tag(x1), hash_tag(x2));
  // The encoding is injective: an identity spelling another's encoding gets another key.
  EXPECT_NE(rate_limit_key("rl:", "api", "a}b", true), rate_limit_key("rl:", "api", "a%7Db", true));
  EXPECT_NE(rate_limit_key("rl:", "api", "a%", true), rate_limit_key("rl:", "api", "a%25", true));
  // The slot is the identity's, in every scope: one identity's limiters share a slot.
  EXPECT_EQ(key_slot(rate_limit_key("rl:", "api", "user:7", true)),
            key_slot(rate_limit_key("rl:", "search", "user:7", true)));
  EXPECT_EQ(key_slot(rate_limit_key("rl:", "api", "user:7", true)), key_slot("user:7"));
}

TEST(RateLimitKey, ClusterIdentitiesSpreadOverTheSlots) {
  std::set<int> slots;
  int thirds[3] = {0, 0, 0};  // the slot ranges redis-cli --cluster create gives 3 masters
  for (int i = 0; i < 3000; ++i) {
    const int slot = key_slot(rate_limit_key("rl:", "api", "user:" + std::to_string(i), true));
    slots.insert(slot);
    ++thirds[slot * 3 / pgfast::cluster::kSlotCount];
  }
  EXPECT_GT(slots.size(), 2500u);
  for (int n : thirds) EXPECT_GT(n, 800);  // 1000 expected each
}

TEST(RateLimitKey, ClusterRefusesBracesInPrefixOrScope) {
  EXPECT_THROW(rate_limit_key("rl{x}:", "api", "u", true), ConfigurationError);
  EXPECT_THROW(rate_limit_key("rl:", "a}pi", "u", true), ConfigurationError);
  try {
    pgfast::check_rate_limit_key_parts("rl:", "{api}", true);
    FAIL() << "a scope with braces was accepted";
  } catch (const ConfigurationError& e) {
    EXPECT_NE(std::string(e.what()).find("scope \"{api}\""), std::string::npos) << e.what();
  }
  EXPECT_NO_THROW(pgfast::check_rate_limit_key_parts("rl:", "{api}", false));
}

TEST(RateLimitKey, ALimiterOnAClusterHandleUsesTheClusterLayout) {
  pgfast::RedisOptions ro;
  ro.cluster_nodes = {"redis://127.0.0.1:1"};  // nothing is connected to build or name keys
  pgfast::Redis redis(ro);
  pgfast::RateLimiterOptions o;
  o.scope = "api";
  pgfast::RateLimiter limiter(redis, o);
  EXPECT_EQ(limiter.key("user:{7}"), "rl:api:{user:%7B7%7D}");
  o.scope = "api{v2}";
  EXPECT_THROW(pgfast::RateLimiter(redis, o), ConfigurationError);
  o.scope = "api";
  o.key_prefix = "{rl}:";
  EXPECT_THROW(pgfast::RateLimiter(redis, o), ConfigurationError);
  EXPECT_EQ(redis.stats().connections_created + redis.stats().connect_failures, 0u);
}
