// Built with -fsanitize=thread (tests/CMakeLists.txt: the read-replica routing — database.cpp,
// replica_set.cpp, wal_history.cpp, pool.cpp, pooled_connection.cpp — compiled into this test
// with ThreadSanitizer, the rest of the client as usual) and run inside scripts/with-replica:
// reader threads share one Database while checks come due every millisecond, replay is paused
// (the standby turns lagging) and resumed, and the standby is stopped (down) and started again.
// Any data race in the shared replica state is a ThreadSanitizer report, which fails the test run
// (exit code 66); a read that throws fails it too.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "pgfast/db/database.hpp"
#include "test_env.hpp"

namespace {

using namespace std::chrono_literals;

std::string replica_url() {
  const char* url = std::getenv("DATABASE_REPLICA_URL");
  if (url == nullptr || *url == '\0') throw std::runtime_error("run inside scripts/with-replica");
  return url;
}

int as_postgres(const std::string& command) {
  const std::string full =
      (::geteuid() == 0 ? "runuser -u postgres -- bash -c '" : "bash -c '") + command + "'";
  return std::system(full.c_str());
}

TEST(ReplicaThreads, ReadersShareTheReplicaStateWhileItChanges) {
  pgfast::DatabaseOptions o;
  o.url = pgfast_test::database_url();
  o.replica_urls = {replica_url()};
  o.pool_size = 4;
  o.max_overflow = 4;
  o.max_replica_lag = 50ms;
  o.replica_check_interval = 1ms;
  o.replica_retry_after = 5ms;
  pgfast::Database db(o);
  db.query("CREATE TABLE IF NOT EXISTS race (id serial PRIMARY KEY)");

  std::atomic<bool> stop{false};
  std::atomic<long> on_replica{0}, on_primary{0}, errors{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 6; ++t) {
    readers.emplace_back([&, t] {
      while (!stop.load()) {
        try {
          pgfast::ReadOptions options;
          if (t % 2 == 1) {
            options.after = db.commit_position();
            options.replay_wait = 5ms;
          }
          const bool replica = db.read(
              [](pgfast::Connection& c) {
                return c.execute("SELECT pg_is_in_recovery()").as<bool>(0, 0);
              },
              options);
          ++(replica ? on_replica : on_primary);
          if (t == 0) db.query("INSERT INTO race DEFAULT VALUES");
          if (t == 2) db.server_stats();
        } catch (const std::exception& e) {
          if (errors++ == 0) ADD_FAILURE() << e.what();
        }
      }
    });
  }
  auto reads_on_replica_grow = [&] {
    const long before = on_replica.load();
    return pgfast_test::eventually([&] { return on_replica.load() > before + 10; }, 60s);
  };
  EXPECT_TRUE(reads_on_replica_grow());
  {
    pgfast::Connection replica(replica_url());
    replica.execute("SELECT pg_wal_replay_pause()");
    EXPECT_TRUE(pgfast_test::eventually(
        [&] { return db.server_stats()[1].state == pgfast::ServerState::lagging; }, 60s));
    replica.execute("SELECT pg_wal_replay_resume()");
  }
  EXPECT_TRUE(reads_on_replica_grow());
  EXPECT_EQ(as_postgres("\"$PGFAST_PG_BIN/pg_ctl\" -D \"$PGFAST_REPLICA_DATA\" -m fast -w stop "
                        ">/dev/null"),
            0);
  const long primary_before = on_primary.load();
  EXPECT_TRUE(pgfast_test::eventually([&] { return on_primary.load() > primary_before + 10; }));
  EXPECT_EQ(as_postgres("\"$PGFAST_PG_BIN/pg_ctl\" -D \"$PGFAST_REPLICA_DATA\" -l "
                        "\"$PGFAST_REPLICA_LOG\" -w -t 120 start >/dev/null"),
            0);
  EXPECT_TRUE(reads_on_replica_grow());
  stop = true;
  for (auto& r : readers) r.join();
  EXPECT_EQ(errors.load(), 0);
}

}  // namespace
