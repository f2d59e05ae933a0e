// The read API without replicas (scripts/with-services: one server): every read goes to the
// primary with no extra work — no check, no statement of its own, one borrowed connection each.
#include <gtest/gtest.h>

#include <string>

#include "pgfast/db/database.hpp"
#include "pgfast/errors.hpp"
#include "test_env.hpp"

namespace {

using pgfast::Connection;
using pgfast::Database;

TEST(ReadApiWithoutReplicas, EveryReadIsOnePrimaryBorrowAndNothingElse) {
  const std::string app = pgfast_test::unique_name("pgfast_read_api");
  Database db(pgfast_test::pool_options(app, 2, 0));
  db.query("CREATE EXTENSION IF NOT EXISTS pgfast");
  const std::uint64_t borrowed = db.stats().acquired_total;
  pgfast::ReadOptions with_token;
  with_token.after = db.commit_position();  // one borrow
  EXPECT_FALSE(db.read(
      [](Connection& c) { return c.execute("SELECT pg_is_in_recovery()").as<bool>(0, 0); }));
  EXPECT_EQ(db.read_query("SELECT 41 + $1", pgfast::params(1), with_token).as<int>(0, 0), 42);
  EXPECT_EQ(db.read_query("SELECT 41 + $1", pgfast::params(1), with_token).as<int>(0, 0), 42);
  {
    pgfast::PooledConnection lease = db.acquire_read();
    EXPECT_EQ(lease->execute("SELECT current_setting('application_name')").get(0, 0), app);
  }
  EXPECT_EQ(db.stats().acquired_total, borrowed + 5);
  const auto servers = db.server_stats();
  ASSERT_EQ(servers.size(), 1u);
  EXPECT_EQ(servers[0].reads, 4u);
  EXPECT_EQ(servers[0].state, pgfast::ServerState::available);
  // Errors of the body propagate unchanged.
  EXPECT_THROW(db.read_query("SELECT * FROM no_such_table_here"), pgfast::UndefinedTableError);
}

}  // namespace
