// The client through a real PgBouncer (Debian's 1.18, scripts/with-pgbouncer) in front of the
// server under test: pool, transactions, execute_prepared, pages and BulkWriter in each statement
// cache mode that works there; `on` failing clearly. The Invalidator refusing a pooled URL:
// invalidator_test.cpp.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "pgfast/bulk/bulk_writer.hpp"
#include "pgfast/db/database.hpp"
#include "pgfast/errors.hpp"
#include "pgbouncer.hpp"
#include "test_env.hpp"

namespace {

using pgfast::StatementCacheMode;
using std::chrono::milliseconds;

// Options for a pool through `pooler` (the server's own connections are PgBouncer's).
pgfast::DatabaseOptions pooled_options(const pgfast_test::PgBouncer& pooler,
                                       StatementCacheMode mode, int pool_size) {
  pgfast::DatabaseOptions o =
      pgfast_test::pool_options(pgfast_test::unique_name("pgb"), pool_size, 0);
  o.url = pooler.url();
  o.statement_cache = mode;
  return o;
}

std::string mode_name(const ::testing::TestParamInfo<StatementCacheMode>& info) {
  return info.param == StatementCacheMode::automatic ? "automatic" : "off";
}

// The modes that work through a transaction pooler.
class PgBouncerModes : public ::testing::TestWithParam<StatementCacheMode> {
 protected:
  void SetUp() override {
    // Two server connections for eight client connections: every client's statements run on
    // server sessions other clients used before (and prepared statements there, were any named).
    pooler_ = std::make_unique<pgfast_test::PgBouncer>("transaction", 2);
    direct_ = std::make_unique<pgfast::Database>(
        pgfast_test::pool_options(pgfast_test::unique_name("pgb_direct"), 2, 0));
    direct_->query("CREATE EXTENSION IF NOT EXISTS pgfast");
    db_ = std::make_unique<pgfast::Database>(pooled_options(*pooler_, GetParam(), 8));
  }

  std::unique_ptr<pgfast_test::PgBouncer> pooler_;
  std::unique_ptr<pgfast::Database> direct_;  // the server itself, for setup and checks
  std::unique_ptr<pgfast::Database> db_;      // through PgBouncer
};

TEST_P(PgBouncerModes, ConnectionsKnowTheyGoThroughAPoolerAndKeepNoNamedStatements) {
  pgfast::PooledConnection lease = db_->acquire();
  EXPECT_TRUE(lease->through_pooler());
  EXPECT_EQ(lease->execute_prepared("SELECT $1::int + 1", pgfast::params(41)).as<int>(0, 0), 42);
  EXPECT_EQ(lease->prepared_statement_count(), 0u);
  EXPECT_EQ(lease->execute("SELECT count(*) FROM pg_prepared_statements").as<long>(0, 0), 0);
  pgfast::PooledConnection server = direct_->acquire();
  EXPECT_FALSE(server->through_pooler());
}

TEST_P(PgBouncerModes, ExecutePreparedFromManyClientsGivesEachItsOwnResult) {
  constexpr int kThreads = 8;
  constexpr int kCalls = 60;
  std::atomic<int> wrong{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      try {
        for (int i = 0; i < kCalls; ++i) {
          // A statement text per thread and call parity, so that a statement run in another
          // client's name would give another result.
          const std::string sql =
              "SELECT $1::int * " + std::to_string(t + 1) + (i % 2 ? " + 1000000" : " + 0");
          const int expected = i * (t + 1) + (i % 2 ? 1000000 : 0);
          if (i % 3 == 0) {
            const int got = db_->transaction([&](pgfast::Connection& c) {
              c.execute("SELECT pg_catalog.pg_backend_pid()");  // another statement first
              return c.execute_prepared(sql, pgfast::params(i)).as<int>(0, 0);
            });
            if (got != expected) ++wrong;
          } else if (db_->execute_prepared(sql, pgfast::params(i)).as<int>(0, 0) != expected) {
            ++wrong;
          }
        }
      } catch (const std::exception& e) {
        ADD_FAILURE() << "thread " << t << ": " << e.what();
        ++failed;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(wrong.load(), 0);
}

TEST_P(PgBouncerModes, TransactionsCommitAndRollBackWhole) {
  pgfast_test::ScratchTable table(*direct_, "id int PRIMARY KEY, v text");
  db_->transaction([&](pgfast::Connection& c) {
    c.execute("INSERT INTO " + table.name() + " VALUES (1, 'a')");
    c.execute_prepared("INSERT INTO " + table.name() + " VALUES ($1, $2)", pgfast::params(2, "b"));
    // Inside the transaction the session is pinned: its own uncommitted rows are visible.
    EXPECT_EQ(c.execute("SELECT count(*) FROM " + table.name()).as<long>(0, 0), 2);
  });
  EXPECT_THROW(db_->transaction([&](pgfast::Connection& c) {
    c.execute("INSERT INTO " + table.name() + " VALUES (3, 'c')");
    c.execute_prepared("INSERT INTO " + table.name() + " VALUES ($1, $2)", pgfast::params(1, "x"));
  }),
               pgfast::UniqueViolationError);
  EXPECT_EQ(table.count(), 2);
  EXPECT_EQ(db_->query("SELECT string_agg(v, ',' ORDER BY id) FROM " + table.name()).get(0, 0),
            "a,b");
}

TEST_P(PgBouncerModes, KeysetAndOffsetPagesMatchTheServer) {
  pgfast_test::ScratchTable table(*direct_, "id int PRIMARY KEY, grp text NOT NULL");
  direct_->query(
      "INSERT INTO " + table.name() +
      " SELECT g, CASE WHEN g % 3 = 0 THEN 'a' ELSE 'b' END FROM generate_series(1, 47) g");
  pgfast::PageRequest request;
  request.source = table.name();
  request.page_size = 10;
  request.filter = R"({"grp": "b"})";
  std::vector<std::string> through_pooler;
  std::vector<std::string> direct;
  for (pgfast::Database* db : {db_.get(), direct_.get()}) {
    std::vector<std::string>& items = db == db_.get() ? through_pooler : direct;
    request.after.reset();
    for (;;) {
      const pgfast::KeysetPage page = db->page(request);
      items.insert(items.end(), page.items.begin(), page.items.end());
      if (!page.has_next) break;
      request.after = page.next_cursor;
    }
  }
  EXPECT_EQ(through_pooler.size(), 32u);
  EXPECT_EQ(through_pooler, direct);

  pgfast::OffsetPageRequest offset;
  offset.source = table.name();
  offset.page = 2;
  offset.per_page = 10;
  const pgfast::OffsetPage pooled_page = db_->offset_page(offset);
  const pgfast::OffsetPage direct_page = direct_->offset_page(offset);
  EXPECT_EQ(pooled_page.items, direct_page.items);
  EXPECT_EQ(pooled_page.total, std::optional<std::int64_t>(47));
}

TEST_P(PgBouncerModes, BulkWritersCopyAndMergeInOneTransactionEach) {
  pgfast_test::ScratchTable table(*direct_, "id bigint PRIMARY KEY, title text, n int");
  // Three writers at once over two server connections: each one's COPY chunks, temporary stage
  // (ON COMMIT DROP) and pgfast.bulk_upsert_from must share one server session, which the
  // writer's transaction pins.
  constexpr int kWriters = 3;
  constexpr std::int64_t kRows = 2500;
  std::vector<std::thread> threads;
  std::vector<pgfast::BulkResult> results(kWriters);
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      try {
        pgfast::PooledConnection lease = db_->acquire();
        pgfast::BulkWriterOptions o;
        o.target = table.name();
        // n is int, sent as bigint: every chunk goes through the stage and the merge.
        o.columns = {{"id", pgfast::BulkType::int64},
                     {"title", pgfast::BulkType::text},
                     {"n", pgfast::BulkType::int64}};
        o.chunk_rows = 1000;
        o.merge_rows = 1000;
        pgfast::BulkWriter writer(*lease, o);
        for (std::int64_t i = 1; i <= kRows; ++i) {
          const std::int64_t id = w * kRows + i;
          writer.add_row({id, std::string("t") + std::to_string(id), i % 100});
        }
        results[w] = writer.finish();
      } catch (const std::exception& e) {
        ADD_FAILURE() << "writer " << w << ": " << e.what();
      }
    });
  }
  for (auto& th : threads) th.join();
  for (const pgfast::BulkResult& r : results) EXPECT_EQ(r.inserted, kRows);
  EXPECT_EQ(table.count(), kWriters * kRows);

  // In the caller's transaction: the rows commit (or roll back) with it.
  pgfast::PooledConnection lease = db_->acquire();
  lease->execute("BEGIN");
  {
    pgfast::BulkWriterOptions o;
    o.target = table.name();
    o.columns = {{"id", pgfast::BulkType::int64}, {"title", pgfast::BulkType::text}};
    pgfast::BulkWriter writer(*lease, o);
    for (std::int64_t id = 1; id <= 10; ++id) writer.add_row({id, std::string("updated")});
    EXPECT_EQ(writer.finish().updated, 10);
  }
  lease->execute("ROLLBACK");
  EXPECT_EQ(direct_->query("SELECT count(*) FROM " + table.name() + " WHERE title = 'updated'")
                .as<long>(0, 0),
            0);
}

INSTANTIATE_TEST_SUITE_P(PgBouncer, PgBouncerModes,
                         ::testing::Values(StatementCacheMode::automatic, StatementCacheMode::off),
                         mode_name);

// Client A runs a statement outside a transaction, then inside one while client B holds the server
// session A used (B's open transaction pins it): A's transaction runs on another server session.
// Returns the error A's statement gave there, or "" when it worked.
std::string prepared_statement_on_another_session(const pgfast_test::PgBouncer& pooler,
                                                  StatementCacheMode mode) {
  pgfast::ConnectionOptions o;
  o.url = pooler.url();
  o.statement_cache = mode;
  pgfast::Connection a(o);
  pgfast::Connection b(pooler.url());
  const std::string sql = "SELECT $1::int * 2";
  const int first_pid =
      a.execute_prepared("SELECT $1::int, pg_catalog.pg_backend_pid()", pgfast::params(1))
          .as<int>(0, 1);
  a.execute_prepared(sql, pgfast::params(1));
  b.execute("BEGIN");
  EXPECT_EQ(b.execute("SELECT pg_catalog.pg_backend_pid()").as<int>(0, 0), first_pid)
      << "PgBouncer gave B another server session: the scenario needs A's";
  a.execute("BEGIN");
  EXPECT_NE(a.execute("SELECT pg_catalog.pg_backend_pid()").as<int>(0, 0), first_pid);
  std::string error;
  try {
    EXPECT_EQ(a.execute_prepared(sql, pgfast::params(21)).as<int>(0, 0), 42);
  } catch (const pgfast::DatabaseError& e) {
    error = e.sqlstate() + " " + e.what() + " HINT: " + e.hint();
  }
  a.execute("ROLLBACK");
  b.execute("ROLLBACK");
  return error;
}

TEST(PgBouncer, StatementCacheOnFailsClearlyWhereAutomaticFallsBack) {
  {
    pgfast_test::PgBouncer pooler("transaction", 2);
    const std::string error = prepared_statement_on_another_session(pooler, StatementCacheMode::on);
    EXPECT_EQ(error.rfind("26000 prepared statement \"pgfast_", 0), 0u) << error;
    EXPECT_NE(error.find("does not exist"), std::string::npos) << error;
    EXPECT_NE(error.find("DATABASE_STATEMENT_CACHE=on) needs a server session of its own"),
              std::string::npos)
        << error;
  }
  for (StatementCacheMode mode : {StatementCacheMode::automatic, StatementCacheMode::off}) {
    pgfast_test::PgBouncer pooler("transaction", 2);
    EXPECT_EQ(prepared_statement_on_another_session(pooler, mode), "")
        << (mode == StatementCacheMode::off ? "off" : "automatic");
  }
}

// Straight to the server: `automatic` finds no pooler and keeps named statements as `on` does;
// `off` keeps none.
TEST(PgBouncer, DirectConnectionsKeepNamedStatementsUnlessOff) {
  for (StatementCacheMode mode :
       {StatementCacheMode::on, StatementCacheMode::automatic, StatementCacheMode::off}) {
    const long expected = mode == StatementCacheMode::off ? 0 : 1;
    pgfast::ConnectionOptions o;
    o.url = pgfast_test::database_url();
    o.statement_cache = mode;
    pgfast::Connection direct(o);
    EXPECT_EQ(direct.execute_prepared("SELECT $1::int", pgfast::params(5)).as<int>(0, 0), 5);
    EXPECT_EQ(direct.prepared_statement_count(), static_cast<std::size_t>(expected));
    EXPECT_EQ(
        direct.execute("SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'pgfast\\_%'")
            .as<long>(0, 0),
        expected);
    EXPECT_FALSE(direct.through_pooler());
  }
}

}  // namespace
