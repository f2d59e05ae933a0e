// NodeBackoff (client/src/ratelimit/node_backoff.hpp): RateLimiterOptions::redis_retry_after
// kept per Redis node.
#include "ratelimit/node_backoff.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <vector>

#include "pgfast/ratelimit/rate_limiter.hpp"

using pgfast::NodeBackoff;

TEST(NodeBackoff, AMarkedNodeIsSkippedUntilItsTimeOthersNever) {
  NodeBackoff b;
  EXPECT_FALSE(b.skip("", 0));
  EXPECT_FALSE(b.skip("127.0.0.1:7000", 100));
  b.mark("127.0.0.1:7000", 100, 500);
  EXPECT_TRUE(b.skip("127.0.0.1:7000", 100));
  EXPECT_TRUE(b.skip("127.0.0.1:7000", 499));
  EXPECT_FALSE(b.skip("127.0.0.1:7000", 500));
  EXPECT_FALSE(b.skip("127.0.0.1:7001", 200));  // another node: still tried
  EXPECT_FALSE(b.skip("", 200));
  // A later mark of another node does not shorten or extend the first one.
  b.mark("127.0.0.1:7001", 300, 900);
  EXPECT_TRUE(b.skip("127.0.0.1:7001", 600));
  EXPECT_FALSE(b.skip("127.0.0.1:7000", 600));
  // An earlier end does not shorten a mark.
  b.mark("127.0.0.1:7001", 400, 450);
  EXPECT_TRUE(b.skip("127.0.0.1:7001", 800));
  // A node marked again after its mark ended is skipped again.
  b.mark("127.0.0.1:7000", 1000, 1200);
  EXPECT_TRUE(b.skip("127.0.0.1:7000", 1100));
  EXPECT_FALSE(b.skip("127.0.0.1:7001", 1100));
}

TEST(NodeBackoff, MarksAndSkipsFromManyThreads) {
  NodeBackoff b;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&b, t] {
      const std::string node = "n" + std::to_string(t % 2);
      for (int i = 0; i < 2000; ++i) {
        b.mark(node, i, 100000 + i);  // no mark ends while the threads run
        EXPECT_TRUE(b.skip(node, i));
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_TRUE(b.skip("n0", 101998));  // the latest mark's end
  EXPECT_FALSE(b.skip("n0", 101999));
  EXPECT_FALSE(b.skip("n2", 0));
}

// A cluster none of whose seeds answers: not even the slot map (so no node) can be had. The
// whole cluster counts as the node that failed, and redis_retry_after skips it.
TEST(NodeBackoff, ALimiterSkipsAClusterWithoutASlotMapForRedisRetryAfter) {
  pgfast::RedisOptions ro;
  ro.cluster_nodes = {"redis://127.0.0.1:1"};
  pgfast::RateLimiterOptions o;
  o.failure_mode = pgfast::FailureMode::open;
  o.redis_retry_after = std::chrono::seconds(60);
  pgfast::RateLimiter limiter(pgfast::Redis(ro), o);
  EXPECT_EQ(limiter.check("user:1").source, pgfast::DecisionSource::fail_open);
  EXPECT_EQ(limiter.check("user:2").source, pgfast::DecisionSource::fail_open);
  EXPECT_EQ(limiter.stats().redis_failures, 1u);
  EXPECT_EQ(limiter.stats().redis_skipped, 1u);
}
