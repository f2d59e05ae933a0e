// detail::LifoPool with a fake connection type: the bookkeeping both client pools share.
#include "lifo_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

namespace pgfast::detail {
namespace {

using namespace std::chrono_literals;

struct FakeConnection {
  FakeConnection(int id, std::atomic<int>& destroyed) : id(id), destroyed(destroyed) {}
  ~FakeConnection() { ++destroyed; }
  int id;
  std::atomic<int>& destroyed;
};

using FakePool = LifoPool<FakeConnection>;
using Outcome = FakePool::Loan::Outcome;

class LifoPoolTest : public ::testing::Test {
 protected:
  std::unique_ptr<FakeConnection> make(int id) {
    return std::make_unique<FakeConnection>(id, destroyed);
  }
  static FakePool::Clock::time_point now() { return FakePool::Clock::now(); }
  static FakePool::Clock::time_point never() { return now() + 1h; }

  // Spins until `n` callers wait in acquire() (an event the pool exposes, not a sleep).
  static void await_waiting(const FakePool& pool, std::size_t n) {
    while (pool.counts().waiting != n) std::this_thread::yield();
  }

  std::atomic<int> destroyed{0};
};

TEST_F(LifoPoolTest, LendsTheMostRecentlyGivenBackConnectionFirst) {
  FakePool pool(3);
  for (int id = 1; id <= 3; ++id) {
    ASSERT_EQ(pool.acquire(now()).outcome, Outcome::slot);
  }
  for (int id = 1; id <= 3; ++id) EXPECT_TRUE(pool.give_back(make(id), true, 3));
  EXPECT_EQ(pool.counts().idle, 3u);

  auto a = pool.acquire(now());
  auto b = pool.acquire(now());
  ASSERT_EQ(a.outcome, Outcome::idle);
  ASSERT_EQ(b.outcome, Outcome::idle);
  EXPECT_EQ(a.conn->id, 3);
  EXPECT_EQ(b.conn->id, 2);
  EXPECT_EQ(destroyed, 0);
}

TEST_F(LifoPoolTest, NeverLendsMoreSlotsThanItsCapacity) {
  FakePool pool(2);
  EXPECT_EQ(pool.acquire(now()).outcome, Outcome::slot);
  EXPECT_EQ(pool.acquire(now()).outcome, Outcome::slot);
  EXPECT_EQ(pool.acquire(now()).outcome, Outcome::timed_out);

  const LifoPoolCounts counts = pool.counts();
  EXPECT_EQ(counts.open, 2u);
  EXPECT_EQ(counts.in_use, 2u);
  EXPECT_EQ(counts.idle, 0u);
  EXPECT_EQ(pool.timeouts(), 1u);
  EXPECT_EQ(pool.waits(), 0u);  // the deadline had passed: no wait
}

TEST_F(LifoPoolTest, WaitsUntilTheDeadlineThenTimesOut) {
  FakePool pool(1);
  ASSERT_EQ(pool.acquire(now()).outcome, Outcome::slot);

  EXPECT_EQ(pool.acquire(now() + 20ms).outcome, Outcome::timed_out);
  EXPECT_EQ(pool.waits(), 1u);
  EXPECT_EQ(pool.timeouts(), 1u);
  EXPECT_EQ(pool.counts().waiting, 0u);
  EXPECT_EQ(pool.counts().in_use, 1u);
}

TEST_F(LifoPoolTest, AConnectionGivenBackWakesOneWaiter) {
  FakePool pool(2);
  ASSERT_EQ(pool.acquire(now()).outcome, Outcome::slot);
  ASSERT_EQ(pool.acquire(now()).outcome, Outcome::slot);

  auto first = std::async(std::launch::async, [&] { return pool.acquire(never()); });
  auto second = std::async(std::launch::async, [&] { return pool.acquire(never()); });
  await_waiting(pool, 2);

  // Kept although max_idle is 0: a caller waits for it.
  EXPECT_TRUE(pool.give_back(make(7), true, 0));
  await_waiting(pool, 1);  // exactly one waiter took it; the other still waits
  EXPECT_EQ(pool.counts().in_use, 2u);

  EXPECT_TRUE(pool.give_back(make(8), true, 0));
  const FakePool::Loan a = first.get();
  const FakePool::Loan b = second.get();
  ASSERT_EQ(a.outcome, Outcome::idle);
  ASSERT_EQ(b.outcome, Outcome::idle);
  EXPECT_EQ(a.conn->id + b.conn->id, 15);
  EXPECT_EQ(pool.waits(), 2u);
  EXPECT_EQ(pool.timeouts(), 0u);
  EXPECT_EQ(destroyed, 0);
}

TEST_F(LifoPoolTest, BrokenAndDiscardedConnectionsFreeTheirSlot) {
  FakePool pool(1);

  // Given back as not reusable: destroyed, slot freed.
  ASSERT_EQ(pool.acquire(now()).outcome, Outcome::slot);
  EXPECT_FALSE(pool.give_back(make(1), false, 1));
  EXPECT_EQ(destroyed, 1);
  EXPECT_EQ(pool.counts().open, 0u);

  // Discarded after a check on loan: destroyed, slot freed.
  ASSERT_EQ(pool.acquire(now()).outcome, Outcome::slot);
  EXPECT_TRUE(pool.give_back(make(2), true, 1));
  auto loan = pool.acquire(now());
  ASSERT_EQ(loan.outcome, Outcome::idle);
  pool.discard(std::move(loan.conn));
  EXPECT_EQ(destroyed, 2);
  EXPECT_EQ(pool.counts().open, 0u);
  EXPECT_EQ(pool.counts().in_use, 0u);

  // A failed open frees its reserved slot, and wakes a waiter who gets that slot.
  ASSERT_EQ(pool.acquire(now()).outcome, Outcome::slot);
  auto waiter = std::async(std::launch::async, [&] { return pool.acquire(never()); });
  await_waiting(pool, 1);
  pool.cancel_open();
  EXPECT_EQ(waiter.get().outcome, Outcome::slot);
  EXPECT_EQ(pool.counts().open, 1u);
}

TEST_F(LifoPoolTest, ClosesWhatExceedsMaxIdle) {
  FakePool pool(3);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(pool.acquire(now()).outcome, Outcome::slot);
  EXPECT_TRUE(pool.give_back(make(1), true, 2));
  EXPECT_TRUE(pool.give_back(make(2), true, 2));
  EXPECT_FALSE(pool.give_back(make(3), true, 2));  // overflow: closed
  EXPECT_EQ(destroyed, 1);
  EXPECT_EQ(pool.counts().open, 2u);
  EXPECT_EQ(pool.counts().idle, 2u);
}

TEST_F(LifoPoolTest, CloseWithConnectionsOut) {
  FakePool pool(3);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(pool.acquire(now()).outcome, Outcome::slot);
  EXPECT_TRUE(pool.give_back(make(1), true, 3));

  EXPECT_EQ(pool.close(), 1u);  // the idle one
  EXPECT_EQ(destroyed, 1);
  EXPECT_EQ(pool.counts().open, 2u);
  EXPECT_EQ(pool.acquire(never()).outcome, Outcome::closed);

  // Given back after close: destroyed, not kept.
  EXPECT_FALSE(pool.give_back(make(2), true, 3));
  pool.discard(make(3));
  EXPECT_EQ(destroyed, 3);
  const LifoPoolCounts counts = pool.counts();
  EXPECT_EQ(counts.open, 0u);
  EXPECT_EQ(counts.in_use, 0u);
  EXPECT_EQ(counts.idle, 0u);
}

TEST_F(LifoPoolTest, CloseWakesWaiters) {
  FakePool pool(1);
  ASSERT_EQ(pool.acquire(now()).outcome, Outcome::slot);
  auto waiter = std::async(std::launch::async, [&] { return pool.acquire(never()); });
  await_waiting(pool, 1);
  pool.close();
  EXPECT_EQ(waiter.get().outcome, Outcome::closed);
}

TEST_F(LifoPoolTest, CloseIdleKeepsThePoolOpen) {
  FakePool pool(2);
  ASSERT_EQ(pool.acquire(now()).outcome, Outcome::slot);
  EXPECT_TRUE(pool.give_back(make(1), true, 2));
  EXPECT_EQ(pool.close_idle(), 1u);
  EXPECT_EQ(destroyed, 1);
  EXPECT_EQ(pool.acquire(now()).outcome, Outcome::slot);
}

TEST_F(LifoPoolTest, BeforeOpenMayRefuseASlotWithoutTakingIt) {
  FakePool pool(1);
  EXPECT_THROW(pool.acquire(now(), [] { throw std::runtime_error("down"); }), std::runtime_error);
  EXPECT_EQ(pool.counts().open, 0u);
  EXPECT_EQ(pool.counts().in_use, 0u);

  // Not consulted when an idle connection is lent.
  ASSERT_EQ(pool.acquire(now()).outcome, Outcome::slot);
  EXPECT_TRUE(pool.give_back(make(1), true, 1));
  bool consulted = false;
  EXPECT_EQ(pool.acquire(now(), [&] { consulted = true; }).outcome, Outcome::idle);
  EXPECT_FALSE(consulted);
}

TEST_F(LifoPoolTest, ReportsInUseAndIdleChanges) {
  std::vector<std::pair<std::size_t, std::size_t>> seen;
  FakePool pool(2, [&](std::size_t in_use, std::size_t idle) { seen.emplace_back(in_use, idle); });
  ASSERT_EQ(pool.acquire(now()).outcome, Outcome::slot);
  pool.give_back(make(1), true, 2);
  auto loan = pool.acquire(now());
  pool.discard(std::move(loan.conn));

  const std::vector<std::pair<std::size_t, std::size_t>> expected = {
      {1, 0}, {0, 1}, {1, 0}, {0, 0}};
  EXPECT_EQ(seen, expected);
}

}  // namespace
}  // namespace pgfast::detail
