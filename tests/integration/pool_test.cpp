// pgfast::Database's pool against a real server: bounds under concurrency, acquire timeout,
// broken connections, LIFO reuse, overflow closing, recycling.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "pgfast/db/database.hpp"
#include "pgfast/errors.hpp"
#include "test_env.hpp"

namespace {

using namespace std::chrono_literals;
using pgfast::Connection;
using pgfast::Database;
using pgfast::params;
using pgfast_test::backends_named;
using pgfast_test::database_url;
using pgfast_test::eventually;
using pgfast_test::pool_options;
using pgfast_test::unique_name;

void update_max(std::atomic<long>& max, long value) {
  long seen = max.load();
  while (value > seen && !max.compare_exchange_weak(seen, value)) {
  }
}

TEST(Pool, FortyBorrowersNeverExceedPoolSizePlusOverflow) {
  const std::string app = unique_name("pgfast_pool40");
  Database db(pool_options(app, 5, 3));
  constexpr int kBorrowers = 40;
  constexpr long kCapacity = 8;

  pgfast_test::Latch start(kBorrowers);
  // The first kCapacity borrowers hold their lease until kCapacity leases are out at once, so the
  // pool is certainly driven to its limit while the other 32 wait.
  std::mutex mutex;
  std::condition_variable cv;
  int acquired = 0;
  std::atomic<long> max_open{0}, max_in_use{0}, max_server_backends{0};
  std::atomic<int> finished{0};
  std::vector<std::string> failures;

  std::vector<std::thread> threads;
  for (int t = 0; t < kBorrowers; ++t) {
    threads.emplace_back([&] {
      try {
        start.arrive_and_wait();
        pgfast::PooledConnection lease = db.acquire();
        {
          std::unique_lock<std::mutex> lock(mutex);
          const int mine = ++acquired;
          cv.notify_all();
          if (mine <= kCapacity) cv.wait(lock, [&] { return acquired >= kCapacity; });
        }
        const pgfast::PoolStats s = db.stats();
        update_max(max_open, static_cast<long>(s.open));
        update_max(max_in_use, static_cast<long>(s.in_use));
        lease->execute("SELECT pg_sleep(0.05)");
        update_max(max_server_backends, backends_named(*lease, app));
        update_max(max_open, static_cast<long>(db.stats().open));
        ++finished;
      } catch (const std::exception& e) {
        std::lock_guard<std::mutex> lock(mutex);
        failures.push_back(e.what());
      }
    });
  }
  for (auto& t : threads) t.join();

  EXPECT_TRUE(failures.empty()) << failures.front();
  EXPECT_EQ(finished.load(), kBorrowers);
  EXPECT_EQ(max_open.load(), kCapacity);
  EXPECT_EQ(max_in_use.load(), kCapacity);
  // Seen by the server: all 8 at once (while the first 8 held their leases), never more.
  EXPECT_EQ(max_server_backends.load(), kCapacity);

  const pgfast::PoolStats end = db.stats();
  EXPECT_EQ(end.acquired_total, static_cast<std::uint64_t>(kBorrowers));
  EXPECT_EQ(end.in_use, 0u);
  EXPECT_EQ(end.waiting, 0u);
  EXPECT_EQ(end.timeouts, 0u);
  EXPECT_EQ(end.open, end.idle);
  EXPECT_LE(end.idle, 5u);  // overflow connections were closed on return
  EXPECT_EQ(end.created - end.closed, end.open);
}

TEST(Pool, AcquireTimesOutWithPoolTimeoutError) {
  pgfast::DatabaseOptions o = pool_options(unique_name("pgfast_timeout"), 1, 0);
  o.acquire_timeout = 200ms;
  Database db(o);
  pgfast::PooledConnection held = db.acquire();

  const auto started = std::chrono::steady_clock::now();
  try {
    pgfast::PooledConnection second = db.acquire();
    FAIL() << "second acquire succeeded with pool_size 1 + overflow 0";
  } catch (const pgfast::PoolTimeoutError& e) {
    const auto waited = std::chrono::steady_clock::now() - started;
    const std::string message = e.what();
    EXPECT_NE(message.find("200 ms"), std::string::npos) << message;
    EXPECT_NE(message.find("timeout"), std::string::npos) << message;
    EXPECT_NE(message.find("pool_size 1"), std::string::npos) << message;
    EXPECT_NE(message.find("max_overflow 0"), std::string::npos) << message;
    EXPECT_EQ(e.timeout(), 200ms);
    EXPECT_GE(waited, 200ms);
  }
  EXPECT_EQ(db.stats().timeouts, 1u);
  EXPECT_EQ(db.stats().waiting, 0u);

  // A per-call timeout of zero fails at once; after the release the pool lends again.
  EXPECT_THROW(db.acquire(0ms), pgfast::PoolTimeoutError);
  EXPECT_EQ(db.stats().timeouts, 2u);
  held.release();
  EXPECT_EQ(db.acquire()->execute("SELECT 1").as<int>(0, 0), 1);
}

TEST(Pool, WaiterGetsTheConnectionReleasedByAnotherThread) {
  Database db(pool_options(unique_name("pgfast_handoff"), 1, 0));
  pgfast::PooledConnection held = db.acquire();
  const int pid = held->backend_pid();

  std::atomic<int> waiter_pid{0};
  std::thread waiter([&] { waiter_pid = db.acquire()->backend_pid(); });
  // The waiter is blocked in acquire() (an observable state, not a timed guess).
  ASSERT_TRUE(eventually([&] { return db.stats().waiting == 1; }));
  held.release();
  waiter.join();
  EXPECT_EQ(waiter_pid.load(), pid);
  EXPECT_EQ(db.stats().created, 1u);
}

class TerminatedBackend : public ::testing::TestWithParam<bool> {};

TEST_P(TerminatedBackend, NextAcquireGetsAWorkingConnection) {
  const bool pre_ping = GetParam();
  pgfast::DatabaseOptions o = pool_options(unique_name("pgfast_kill"), 2, 0);
  o.pre_ping = pre_ping;
  o.recycle = std::chrono::milliseconds(-1);
  Database db(o);

  int old_pid = 0;
  {
    pgfast::PooledConnection lease = db.acquire();
    old_pid = lease->execute("SELECT pg_backend_pid()").as<int>(0, 0);
    EXPECT_EQ(old_pid, lease->backend_pid());
  }
  ASSERT_EQ(db.stats().idle, 1u);

  Connection admin(database_url());
  EXPECT_TRUE(
      admin.execute("SELECT pg_terminate_backend($1, 10000)", params(old_pid)).as<bool>(0, 0));
  ASSERT_TRUE(eventually([&] {
    return admin.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", params(old_pid))
               .as<long>(0, 0) == 0;
  })) << "backend "
      << old_pid << " still listed after pg_terminate_backend";

  const std::uint64_t broken_before = db.stats().broken_replaced;
  if (pre_ping) {
    // The ping on borrow finds the dead connection and replaces it before lending.
    pgfast::PooledConnection lease = db.acquire();
    const int new_pid = lease->execute("SELECT pg_backend_pid()").as<int>(0, 0);
    EXPECT_NE(new_pid, old_pid);
    EXPECT_EQ(db.stats().broken_replaced, broken_before + 1);
  } else {
    {
      // Without pre-ping the dead connection is lent; its first query reports the lost
      // connection, and the lease is discarded when dropped.
      pgfast::PooledConnection lease = db.acquire();
      EXPECT_EQ(lease->backend_pid(), old_pid);
      try {
        lease->execute("SELECT 1");
        ADD_FAILURE() << "query on a terminated backend succeeded";
      } catch (const pgfast::ConnectionError& e) {
        EXPECT_EQ(e.sqlstate_class(), "08");
      }
      EXPECT_TRUE(lease->broken());
    }
    EXPECT_EQ(db.stats().broken_replaced, broken_before + 1);
    EXPECT_EQ(db.stats().open, 0u);
    pgfast::PooledConnection lease = db.acquire();
    const int new_pid = lease->execute("SELECT pg_backend_pid()").as<int>(0, 0);
    EXPECT_NE(new_pid, old_pid);
  }
}

INSTANTIATE_TEST_SUITE_P(PrePing, TerminatedBackend, ::testing::Values(true, false),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "On" : "Off";
                         });

TEST(Pool, ReusesIdleConnectionsLastInFirstOut) {
  Database db(pool_options(unique_name("pgfast_lifo"), 3, 0));
  pgfast::PooledConnection a = db.acquire();
  pgfast::PooledConnection b = db.acquire();
  const int pid_a = a->backend_pid();
  const int pid_b = b->backend_pid();
  ASSERT_NE(pid_a, pid_b);
  a.release();
  b.release();
  EXPECT_EQ(db.acquire()->backend_pid(), pid_b);
  // And again: B went back on top of the stack.
  pgfast::PooledConnection first = db.acquire();
  pgfast::PooledConnection second = db.acquire();
  EXPECT_EQ(first->backend_pid(), pid_b);
  EXPECT_EQ(second->backend_pid(), pid_a);
  EXPECT_EQ(db.stats().created, 2u);
}

TEST(Pool, OverflowConnectionsAreClosedWhenReturnedToAFullPool) {
  const std::string app = unique_name("pgfast_overflow");
  Database db(pool_options(app, 2, 2));
  Connection observer(database_url());
  {
    std::vector<pgfast::PooledConnection> leases;
    for (int i = 0; i < 4; ++i) leases.push_back(db.acquire());
    EXPECT_EQ(db.stats().open, 4u);
    EXPECT_EQ(backends_named(observer, app), 4);
    EXPECT_THROW(db.acquire(0ms), pgfast::PoolTimeoutError);
  }
  const pgfast::PoolStats s = db.stats();
  EXPECT_EQ(s.open, 2u);
  EXPECT_EQ(s.idle, 2u);
  EXPECT_EQ(s.closed, 2u);
  // Backends exit asynchronously after the client closes.
  EXPECT_TRUE(eventually([&] { return backends_named(observer, app) == 2; }))
      << backends_named(observer, app) << " backends still connected";
}

TEST(Pool, RecycledConnectionsAreReplacedOnBorrow) {
  pgfast::DatabaseOptions o = pool_options(unique_name("pgfast_recycle"), 2, 0);
  o.recycle = 0ms;  // every idle connection is too old
  Database db(o);
  const int first = db.acquire()->backend_pid();
  const int second = db.acquire()->backend_pid();
  const int third = db.acquire()->backend_pid();
  EXPECT_NE(first, second);
  EXPECT_NE(second, third);
  const pgfast::PoolStats s = db.stats();
  EXPECT_EQ(s.recycled, 2u);
  EXPECT_EQ(s.created, 3u);
  EXPECT_EQ(s.open, 1u);
}

TEST(Pool, ConnectionsYoungerThanTheRecycleAgeAreKept) {
  pgfast::DatabaseOptions o = pool_options(unique_name("pgfast_keep"), 2, 0);
  o.recycle = std::chrono::hours(1);
  Database db(o);
  const int first = db.acquire()->backend_pid();
  EXPECT_EQ(db.acquire()->backend_pid(), first);
  EXPECT_EQ(db.stats().recycled, 0u);
}

TEST(Pool, LeaseLeftInATransactionIsRolledBackOnReturn) {
  Database db(pool_options(unique_name("pgfast_reset"), 1, 0));
  pgfast_test::ScratchTable table(db, "id int");
  {
    pgfast::PooledConnection lease = db.acquire();
    lease->execute("BEGIN");
    lease->execute("INSERT INTO " + table.name() + " VALUES (1)");
  }
  {
    pgfast::PooledConnection lease = db.acquire();
    EXPECT_EQ(lease->transaction_status(), pgfast::TransactionStatus::idle);
  }
  {
    pgfast::PooledConnection lease = db.acquire();
    lease->execute("BEGIN");
    EXPECT_THROW(lease->execute("SELECT 1/0"), pgfast::DataError);
    EXPECT_EQ(lease->transaction_status(), pgfast::TransactionStatus::in_error);
  }
  EXPECT_EQ(table.count(), 0);
  EXPECT_EQ(db.stats().created, 1u);  // rolled back and reused, not discarded
}

TEST(Pool, DiscardedLeaseIsClosed) {
  Database db(pool_options(unique_name("pgfast_discard"), 2, 0));
  pgfast::PooledConnection lease = db.acquire();
  const int pid = lease->backend_pid();
  lease.discard();
  EXPECT_FALSE(lease);
  EXPECT_EQ(db.stats().open, 0u);
  EXPECT_NE(db.acquire()->backend_pid(), pid);
}

TEST(Pool, UnreachableServerThrowsConnectionExceptionAndFreesTheSlot) {
  pgfast::DatabaseOptions o;
  // A port nothing listens on (port 1 on loopback refuses at once).
  o.url = "postgresql://postgres@127.0.0.1:1/postgres";
  o.pool_size = 1;
  o.max_overflow = 0;
  o.connect_timeout = std::chrono::seconds(2);
  Database db(o);
  try {
    db.acquire();
    FAIL() << "connected to port 1";
  } catch (const pgfast::ConnectionError& e) {
    EXPECT_EQ(e.sqlstate(), "08001");
    EXPECT_NE(std::string(e.what()).find("127.0.0.1"), std::string::npos) << e.what();
  }
  EXPECT_EQ(db.stats().open, 0u);
  EXPECT_EQ(db.stats().in_use, 0u);
  // The slot was released: a second attempt fails the same way instead of timing out.
  EXPECT_THROW(db.acquire(0ms), pgfast::ConnectionError);
}

TEST(Pool, LeaseOutlivingTheDatabaseIsClosedOnRelease) {
  pgfast::PooledConnection lease;
  {
    Database db(pool_options(unique_name("pgfast_outlive"), 1, 0));
    lease = db.acquire();
  }
  EXPECT_EQ(lease->execute("SELECT 2").as<int>(0, 0), 2);
  lease.release();
  EXPECT_FALSE(lease);
}

TEST(Pool, QueryAndExecutePreparedConvenience) {
  Database db(pool_options(unique_name("pgfast_conv"), 2, 0));
  EXPECT_EQ(db.query("SELECT $1::int * 2", params(21)).as<int>(0, 0), 42);
  EXPECT_EQ(db.execute_prepared("SELECT $1::text || 'b'", params("a")).get(0, 0), "ab");
  EXPECT_EQ(db.stats().acquired_total, 2u);
  EXPECT_EQ(db.stats().in_use, 0u);
}

}  // namespace
