// The per-connection prepared-statement cache: prepare once, survive DISCARD ALL, evict LRU.
#include <gtest/gtest.h>

#include <optional>
#include <regex>
#include <string>

#include "pgfast/db/database.hpp"
#include "pgfast/errors.hpp"
#include "test_env.hpp"

namespace {

using pgfast::Connection;
using pgfast::Database;
using pgfast::params;
using pgfast_test::pool_options;
using pgfast_test::unique_name;

long server_prepared(Connection& c) {
  return c.execute("SELECT count(*) FROM pg_prepared_statements").as<long>(0, 0);
}

TEST(PreparedStatements, SameSqlIsPreparedOnce) {
  Database db(pool_options(unique_name("pgfast_prep"), 1, 0));
  pgfast::PooledConnection lease = db.acquire();
  const std::string sql = "SELECT $1::int + 1";
  EXPECT_EQ(lease->execute_prepared(sql, params(1)).as<int>(0, 0), 2);
  EXPECT_EQ(lease->execute_prepared(sql, params(41)).as<int>(0, 0), 42);
  EXPECT_EQ(server_prepared(*lease), 1);
  EXPECT_EQ(lease->prepared_statement_count(), 1u);
  // "pgfast_<12 hex digits>_1": unique per connection, so that behind a pooler one client's
  // statement is never found under another's name (docs/scale-out.md, PgBouncer).
  const std::string name(lease->execute("SELECT name FROM pg_prepared_statements").get(0, 0));
  EXPECT_TRUE(std::regex_match(name, std::regex("pgfast_[0-9a-f]{12}_1"))) << name;
  pgfast::Connection other(pgfast_test::database_url());
  other.execute_prepared(sql, params(1));
  EXPECT_NE(other.execute("SELECT name FROM pg_prepared_statements").get(0, 0), name);
}

TEST(PreparedStatements, ReprepareTransparentlyAfterDiscardAll) {
  Database db(pool_options(unique_name("pgfast_discardall"), 1, 0));
  pgfast::PooledConnection lease = db.acquire();
  const std::string sql = "SELECT $1::text || '!'";
  EXPECT_EQ(lease->execute_prepared(sql, params("a")).get(0, 0), "a!");
  lease->execute("DISCARD ALL");
  EXPECT_EQ(server_prepared(*lease), 0);
  EXPECT_EQ(lease->execute_prepared(sql, params("b")).get(0, 0), "b!");
  EXPECT_EQ(server_prepared(*lease), 1);
  EXPECT_EQ(lease->prepared_statement_count(), 1u);
}

TEST(PreparedStatements, NullParameters) {
  Database db(pool_options(unique_name("pgfast_prepnull"), 1, 0));
  pgfast::PooledConnection lease = db.acquire();
  const std::string sql = "SELECT $1::text IS NULL, $2::int";
  const pgfast::Result r = lease->execute_prepared(sql, params(std::nullopt, std::optional<int>()));
  EXPECT_TRUE(r.as<bool>(0, 0));
  EXPECT_TRUE(r.is_null(0, 1));
  const pgfast::Result r2 = lease->execute_prepared(sql, params("x", 5));
  EXPECT_FALSE(r2.as<bool>(0, 0));
  EXPECT_EQ(r2.as<int>(0, 1), 5);
}

TEST(PreparedStatements, LeastRecentlyUsedIsDeallocatedBeyondCapacity) {
  pgfast::DatabaseOptions o = pool_options(unique_name("pgfast_lru"), 1, 0);
  o.statement_cache_capacity = 2;
  Database db(o);
  pgfast::PooledConnection lease = db.acquire();
  lease->execute_prepared("SELECT 1");
  lease->execute_prepared("SELECT 2");
  lease->execute_prepared("SELECT 1");  // now "SELECT 2" is least recently used
  lease->execute_prepared("SELECT 3");
  EXPECT_EQ(lease->prepared_statement_count(), 2u);
  EXPECT_EQ(server_prepared(*lease), 2);
  const pgfast::Result names =
      lease->execute("SELECT statement FROM pg_prepared_statements ORDER BY statement");
  ASSERT_EQ(names.rows(), 2);
  EXPECT_EQ(names.get(0, 0), "SELECT 1");
  EXPECT_EQ(names.get(1, 0), "SELECT 3");
  EXPECT_EQ(lease->execute_prepared("SELECT 2").as<int>(0, 0), 2);
}

TEST(PreparedStatements, EvictionInsideATransactionWaitsUntilItEnds) {
  pgfast::DatabaseOptions o = pool_options(unique_name("pgfast_lrutx"), 1, 0);
  o.statement_cache_capacity = 1;
  Database db(o);
  pgfast::PooledConnection lease = db.acquire();
  lease->execute_prepared("SELECT 1");
  lease->execute("BEGIN");
  lease->execute_prepared("SELECT 2");  // evicts "SELECT 1"; DEALLOCATE deferred
  EXPECT_EQ(lease->transaction_status(), pgfast::TransactionStatus::in_transaction);
  lease->execute("COMMIT");
  lease->execute_prepared("SELECT 2");  // outside the transaction: the deferred DEALLOCATE runs
  EXPECT_EQ(server_prepared(*lease), 1);
}

TEST(PreparedStatements, LostStatementInsideATransactionIsReportedNotRetried) {
  Database db(pool_options(unique_name("pgfast_preptx"), 1, 0));
  pgfast::PooledConnection lease = db.acquire();
  const std::string sql = "SELECT $1::int";
  lease->execute_prepared(sql, params(1));
  lease->execute("BEGIN");
  lease->execute("DEALLOCATE ALL");
  try {
    lease->execute_prepared(sql, params(2));
    FAIL() << "no exception";
  } catch (const pgfast::DatabaseError& e) {
    EXPECT_EQ(e.sqlstate(), "26000");
  }
  lease->execute("ROLLBACK");
  EXPECT_EQ(lease->execute_prepared(sql, params(3)).as<int>(0, 0), 3);
}

TEST(PreparedStatements, StalePlanAfterSchemaChangeIsRepreparedOnce) {
  Database db(pool_options(unique_name("pgfast_stale"), 1, 0));
  pgfast_test::ScratchTable table(db, "id int");
  db.query("INSERT INTO " + table.name() + " VALUES (1)");
  pgfast::PooledConnection lease = db.acquire();
  const std::string sql = "SELECT * FROM " + table.name();
  EXPECT_EQ(lease->execute_prepared(sql).columns(), 1);
  lease->execute("ALTER TABLE " + table.name() + " ADD COLUMN extra text DEFAULT 'x'");
  const pgfast::Result r = lease->execute_prepared(sql);
  EXPECT_EQ(r.columns(), 2);
  EXPECT_EQ(r.get(0, "extra"), "x");
}

TEST(PreparedStatements, ErrorsCarrySqlstate) {
  Database db(pool_options(unique_name("pgfast_preperr"), 1, 0));
  pgfast::PooledConnection lease = db.acquire();
  EXPECT_THROW(lease->execute_prepared("SELECT * FROM missing_table_xyz"),
               pgfast::SyntaxOrAccessError);
  EXPECT_THROW(lease->execute_prepared("SELECT 1/$1::int", params(0)), pgfast::DataError);
  EXPECT_EQ(lease->prepared_statement_count(), 1u);  // the failed PREPARE is not cached
}

TEST(PreparedStatements, CacheCanBeDisabled) {
  pgfast::DatabaseOptions o = pool_options(unique_name("pgfast_nocache"), 1, 0);
  o.statement_cache_capacity = 0;
  Database db(o);
  pgfast::PooledConnection lease = db.acquire();
  EXPECT_EQ(lease->execute_prepared("SELECT $1::int", params(7)).as<int>(0, 0), 7);
  EXPECT_EQ(server_prepared(*lease), 0);
}

}  // namespace
