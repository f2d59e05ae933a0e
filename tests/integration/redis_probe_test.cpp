// RedisOptions::probe_idle_after: recently used connections skip the liveness probe; a restart
// then costs at most one failed command per pooled connection, and the pool recovers by itself.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "pgfast/errors.hpp"
#include "pgfast/redis/redis.hpp"
#include "redis_server.hpp"
#include "test_env.hpp"

using pgfast::Redis;
using pgfast::RedisUnavailableError;
using std::chrono::milliseconds;

TEST(RedisProbe, SkippedForRecentlyUsedConnectionsOneFailureAfterRestart) {
  pgfast_test::RedisServer server;
  auto options = pgfast_test::redis_options(server.url(), 1);
  options.probe_idle_after = milliseconds(60000);
  Redis redis(options);
  EXPECT_EQ(redis.command({"SET", "k", "v"}).str(), "OK");
  ASSERT_TRUE(server.restart());
  // The pooled connection is not probed: its command fails once and the connection is dropped.
  EXPECT_THROW(redis.command({"GET", "k"}), RedisUnavailableError);
  EXPECT_TRUE(pgfast_test::eventually([&] { return redis.ping(); }));
  EXPECT_TRUE(redis.command({"GET", "k"}).is_nil());  // a fresh server
  EXPECT_GE(redis.stats().connections_discarded, 1u);
}

TEST(RedisProbe, DefaultProbesSoARestartCostsNoFailedCommand) {
  pgfast_test::RedisServer server;
  Redis redis(pgfast_test::redis_options(server.url(), 1));
  EXPECT_EQ(redis.command({"SET", "k", "v"}).str(), "OK");
  ASSERT_TRUE(server.restart());
  EXPECT_TRUE(redis.command({"GET", "k"}).is_nil());
}

TEST(RedisProbe, NegativeValueIsAConfigurationError) {
  pgfast::RedisOptions options;
  options.probe_idle_after = milliseconds(-1);
  EXPECT_THROW(Redis{options}, pgfast::ConfigurationError);
}
