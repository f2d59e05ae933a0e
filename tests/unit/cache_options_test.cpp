// CacheOptions: the defaults of CacheOptions{} are what CacheOptions::from_settings gives for
// everything Settings does not name, so a Cache built either way behaves the same.
#include <gtest/gtest.h>

#include <chrono>

#include "pgfast/cache/cache.hpp"
#include "pgfast/settings.hpp"

using pgfast::CacheOptions;
using pgfast::RedisOptions;
using std::chrono::milliseconds;

TEST(CacheOptions, DefaultsEqualFromSettingsForWhatSettingsDoesNotName) {
  const CacheOptions plain;
  const CacheOptions from = CacheOptions::from_settings(pgfast::Settings{});
  // The Redis pool: Settings names url and max_connections only.
  EXPECT_EQ(plain.redis.connect_timeout, from.redis.connect_timeout);
  EXPECT_EQ(plain.redis.command_timeout, from.redis.command_timeout);
  EXPECT_EQ(plain.redis.pool_timeout, from.redis.pool_timeout);
  EXPECT_EQ(plain.redis.down_backoff, from.redis.down_backoff);
  EXPECT_EQ(plain.redis.probe_idle_after, from.redis.probe_idle_after);
  // The cache itself: Settings names enabled and default_ttl only.
  EXPECT_EQ(plain.key_prefix, from.key_prefix);
  EXPECT_EQ(plain.negative_ttl, from.negative_ttl);
  EXPECT_EQ(plain.compress_threshold, from.compress_threshold);
  EXPECT_EQ(plain.compression_level, from.compression_level);
  EXPECT_EQ(plain.strict, from.strict);
  EXPECT_EQ(plain.lease_ttl, from.lease_ttl);
  EXPECT_EQ(plain.lease_wait, from.lease_wait);
  EXPECT_EQ(plain.tag_ttl, from.tag_ttl);
}

TEST(CacheOptions, RedisDefaultsAreTheCacheTunedOnes) {
  const CacheOptions plain;
  EXPECT_EQ(plain.redis.connect_timeout, milliseconds(500));
  EXPECT_EQ(plain.redis.command_timeout, milliseconds(500));
  EXPECT_EQ(plain.redis.down_backoff, milliseconds(1000));
  EXPECT_EQ(plain.redis.probe_idle_after, milliseconds(1000));
  const RedisOptions tuned = RedisOptions::for_cache();
  EXPECT_EQ(plain.redis.url, tuned.url);
  EXPECT_EQ(plain.redis.max_connections, tuned.max_connections);
  // A general-purpose pool keeps its own (longer) defaults.
  EXPECT_EQ(RedisOptions{}.command_timeout, milliseconds(1000));
}

TEST(CacheOptions, FromSettingsTakesWhatSettingsNames) {
  pgfast::Settings settings;
  settings.redis_url = "redis://cache.internal:6380/2";
  settings.redis_max_connections = 7;
  settings.cache_enabled = false;
  settings.cache_default_ttl = std::chrono::seconds(120);
  const CacheOptions o = CacheOptions::from_settings(settings);
  EXPECT_EQ(o.redis.url, "redis://cache.internal:6380/2");
  EXPECT_EQ(o.redis.max_connections, 7);
  EXPECT_FALSE(o.enabled);
  EXPECT_EQ(o.default_ttl, milliseconds(120000));
}
