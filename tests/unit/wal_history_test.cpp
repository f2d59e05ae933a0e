// detail::WalHistory: a replica's lag from samples of the primary's WAL position.
#include "db/wal_history.hpp"

#include <gtest/gtest.h>

namespace {

using namespace std::chrono_literals;
using pgfast::detail::WalHistory;
using Clock = WalHistory::Clock;

TEST(WalHistory, UnknownWithoutSamples) {
  WalHistory h;
  EXPECT_FALSE(h.lag(100, Clock::now()).has_value());
}

TEST(WalHistory, CaughtUpIsZeroLagHoweverOldTheLastWrite) {
  // An idle primary: the same position sampled for a long time; a replica that replayed it has no
  // lag, however long ago the last write was.
  WalHistory h;
  const auto t0 = Clock::now();
  h.record(t0, 500);
  h.record(t0 + 10s, 500);
  h.record(t0 + 20s, 500);
  EXPECT_EQ(h.size(), 1u);
  EXPECT_EQ(h.lag(500, t0 + 30s), 0ms);
  EXPECT_EQ(h.lag(900, t0 + 30s), 0ms);  // sampled before the replica asked: still caught up
}

TEST(WalHistory, BehindIsTheAgeOfTheLastSampleItHas) {
  WalHistory h;
  const auto t0 = Clock::now();
  h.record(t0, 100);
  h.record(t0 + 100ms, 200);
  h.record(t0 + 200ms, 300);
  h.record(t0 + 300ms, 300);  // no new WAL: the position is known to be 300 until t0 + 300 ms
  EXPECT_EQ(h.lag(250, t0 + 1s), 900ms);  // has 200 (t0 + 100 ms), lacks 300
  EXPECT_EQ(h.lag(200, t0 + 1s), 900ms);
  EXPECT_EQ(h.lag(199, t0 + 1s), 1000ms);
  EXPECT_EQ(h.lag(100, t0 + 1s), 1000ms);
  EXPECT_EQ(h.lag(300, t0 + 1s), 0ms);
}

TEST(WalHistory, BehindEverySampleIsUnknown) {
  // A replica lagging since before the first sample: how far is not known, so it is not "0".
  WalHistory h;
  const auto t0 = Clock::now();
  h.record(t0, 1000);
  EXPECT_FALSE(h.lag(999, t0 + 1ms).has_value());
  h.record(t0 + 1s, 2000);
  EXPECT_EQ(h.lag(1500, t0 + 1500ms), 1500ms);
}

TEST(WalHistory, LagGrowsWhileReplayIsStuck) {
  WalHistory h;
  const auto t0 = Clock::now();
  h.record(t0, 100);
  for (int i = 1; i <= 10; ++i) h.record(t0 + i * 100ms, 100 + static_cast<unsigned>(i));
  EXPECT_EQ(h.lag(100, t0 + 1s), 1000ms);
  EXPECT_EQ(h.lag(100, t0 + 5s), 5000ms);
}

TEST(WalHistory, CapacityDropsTheOldest) {
  WalHistory h(3);
  const auto t0 = Clock::now();
  for (unsigned i = 0; i < 5; ++i) h.record(t0 + i * 1s, 10 * (i + 1));
  EXPECT_EQ(h.size(), 3u);
  EXPECT_FALSE(h.lag(20, t0 + 10s).has_value());  // 10 and 20 are gone
  EXPECT_EQ(h.lag(30, t0 + 10s), 8s);
}

TEST(WalHistory, APositionGoingBackStartsAfresh) {
  // Another primary after a failover: the old samples say nothing about the new timeline.
  WalHistory h;
  const auto t0 = Clock::now();
  h.record(t0, 1000);
  h.record(t0 + 1s, 2000);
  h.record(t0 + 2s, 50);
  EXPECT_EQ(h.size(), 1u);
  EXPECT_EQ(h.lag(50, t0 + 3s), 0ms);
  EXPECT_FALSE(h.lag(40, t0 + 3s).has_value());
}

}  // namespace
