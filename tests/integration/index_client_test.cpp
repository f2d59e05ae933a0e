// Index management and full-text search through the client (pgfast/db/indexes.hpp), and the proof
// that a background CONCURRENTLY build does not block writes.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "pgfast/db/database.hpp"
#include "pgfast/errors.hpp"
#include "pgfast/db/indexes.hpp"
#include "test_env.hpp"

namespace {

using pgfast_test::ScratchTable;

pgfast::Database make_db(int size = 2) {
  pgfast::Database db(pgfast_test::pool_options(pgfast_test::unique_name("idx"), size, 0));
  db.query("CREATE EXTENSION IF NOT EXISTS pgfast");
  return db;
}

long index_count(pgfast::Database& db, const std::string& table) {
  return db
      .query("SELECT count(*) FROM pg_index WHERE indrelid = $1::regclass", pgfast::params(table))
      .as<long>(0, 0);
}

TEST(IndexClient, EnsureIndexIsIdempotentByDefinition) {
  pgfast::Database db = make_db();
  ScratchTable t(db, "id int PRIMARY KEY, user_id int, created_at timestamptz, title text");
  pgfast::IndexSpec spec;
  spec.table = t.name();
  spec.columns = {"user_id", "created_at DESC"};
  spec.include = {"title"};
  spec.where = "created_at > '2024-01-01'";
  std::string name = db.ensure_index(spec);
  EXPECT_EQ(name, t.name() + "_user_id_created_at_idx");
  EXPECT_EQ(db.ensure_index(spec), name);
  EXPECT_EQ(index_count(db, t.name()), 2);
  // An equivalent index made by hand under another name is reused.
  db.query("CREATE INDEX by_hand_" + t.name() + " ON " + t.name() + " (lower(title))");
  pgfast::IndexSpec lower;
  lower.table = t.name();
  lower.columns = {"LOWER(title)"};
  EXPECT_EQ(db.ensure_index(lower), "by_hand_" + t.name());
  // A different predicate is another index.
  spec.where = "created_at > '2025-01-01'";
  EXPECT_NE(db.ensure_index(spec), name);
  EXPECT_EQ(index_count(db, t.name()), 4);
  // Bad input: typed errors with PostgreSQL's SQLSTATE.
  pgfast::IndexSpec bad;
  bad.table = t.name();
  bad.columns = {"no_such_column"};
  try {
    db.ensure_index(bad);
    FAIL() << "no error";
  } catch (const pgfast::DatabaseError& e) {
    EXPECT_EQ(e.sqlstate(), "42703");
  }
  bad.columns = {"user_id"};
  bad.method = "no_such_method";
  try {
    db.ensure_index(bad);
    FAIL() << "no error";
  } catch (const pgfast::DatabaseError& e) {
    EXPECT_EQ(e.sqlstate(), "42704");
  }
  EXPECT_EQ(index_count(db, t.name()), 4);
}

TEST(IndexClient, FtsSearchPagesCoverEveryHitOnce) {
  pgfast::Database db = make_db();
  ScratchTable t(db, "id int PRIMARY KEY, title text, body text");
  db.query("INSERT INTO " + t.name() +
           " SELECT g, CASE WHEN g % 3 = 0 THEN 'quick fox ' || g END, "
           "repeat('fox ', g % 4) || 'word' || g FROM generate_series(1, 500) g");
  db.query("SELECT pgfast.fts_index($1::regclass, '{title, body}', 'english', '{A,B}')",
           pgfast::params(t.name()));
  long expected = db.query("SELECT count(*) FROM " + t.name() +
                           " WHERE to_tsvector('english', coalesce(title, '') || ' ' || body) @@ "
                           "websearch_to_tsquery('english', 'fox')")
                      .as<long>(0, 0);
  ASSERT_GT(expected, 100);
  pgfast::FtsSearchRequest request;
  request.table = t.name();
  request.query = "fox";
  request.page_size = 37;
  std::set<std::string> seen;
  long total = 0;
  double previous_rank = 1e9;
  int pages = 0;
  for (;;) {
    pgfast::FtsPage page = db.fts_search(request);
    ++pages;
    EXPECT_EQ(page.page_size, 37);
    for (const pgfast::FtsHit& hit : page.items) {
      seen.insert(hit.row);
      ++total;
      EXPECT_LE(hit.rank, previous_rank);
      previous_rank = hit.rank;
      ASSERT_TRUE(hit.headline.has_value());
      EXPECT_NE(hit.headline->find("<b>"), std::string::npos) << *hit.headline;
    }
    if (!page.has_next) break;
    ASSERT_TRUE(page.next_cursor.has_value());
    request.after = page.next_cursor;
  }
  EXPECT_EQ(total, expected);
  EXPECT_EQ(static_cast<long>(seen.size()), expected);
  EXPECT_EQ(pages, static_cast<int>((expected + 36) / 37));
  // A tampered cursor is a DataError (22023).
  request.after = "x" + request.after.value_or("");
  EXPECT_THROW(db.fts_search(request), pgfast::DatabaseError);
  // An empty result is an empty page.
  request.after.reset();
  request.query = "nothingmatchesthis";
  pgfast::FtsPage empty = db.fts_search(request);
  EXPECT_TRUE(empty.items.empty());
  EXPECT_FALSE(empty.has_next);
}

// Writes keep committing while the background worker builds an index CONCURRENTLY on a table
// large enough for the build to take seconds. Every write records its server commit time; the
// build window is [started_at, finished_at] of the job row.
TEST(IndexClient, ConcurrentBuildDoesNotBlockWrites) {
  pgfast::Database db = make_db(4);
  ScratchTable t(db, "id bigserial PRIMARY KEY, h text, n int");
  db.query(
      "INSERT INTO " + t.name() +
      " (h, n) SELECT md5(g::text) || md5((g * 7)::text), g FROM generate_series(1, 600000) g");
  db.query("ANALYZE " + t.name());

  std::atomic<bool> stop{false};
  std::atomic<long> failures{0};
  std::vector<std::string> commit_times;  // server clock_timestamp() after each write
  std::thread writer([&] {
    try {
      pgfast::PooledConnection lease = db.acquire();
      long i = 0;
      while (!stop.load()) {
        ++i;
        pgfast::Result r = (i % 2 == 0)
                               ? lease->execute("INSERT INTO " + t.name() +
                                                    " (h, n) VALUES (md5($1::text), $1::int) "
                                                    "RETURNING clock_timestamp()::text",
                                                pgfast::params(i))
                               : lease->execute("UPDATE " + t.name() +
                                                    " SET n = n + 1 WHERE id = $1 "
                                                    "RETURNING clock_timestamp()::text",
                                                pgfast::params(1 + (i * 7919) % 600000));
        commit_times.emplace_back(r.get(0, 0));
      }
    } catch (const std::exception& e) {
      ADD_FAILURE() << "write failed: " << e.what();
      ++failures;
    }
  });

  pgfast::IndexSpec spec;
  spec.table = t.name();
  spec.columns = {"md5(h)", "h", "n"};  // md5 per row: a build of seconds
  spec.concurrently = true;
  auto enqueue_start = std::chrono::steady_clock::now();
  std::string name;
  {
    pgfast::PooledConnection lease = db.acquire();
    name = pgfast::ensure_index(*lease, spec);
    // Returned at once: the build runs in the background.
    EXPECT_LT(std::chrono::steady_clock::now() - enqueue_start, std::chrono::seconds(2));
    std::optional<std::int64_t> job = pgfast::index_job_id(*lease, name);
    ASSERT_TRUE(job.has_value());
    EXPECT_EQ(pgfast::wait_index_job(*lease, *job, 300000), "done");
  }
  stop = true;
  writer.join();
  ASSERT_EQ(failures.load(), 0);

  pgfast::Result window = db.query(
      "SELECT started_at::text, finished_at::text, "
      "extract(epoch FROM finished_at - started_at)::float8 FROM pgfast.index_jobs "
      "WHERE index_name = $1",
      pgfast::params(name));
  std::string started(window.get(0, 0));
  std::string finished(window.get(0, 1));
  double build_seconds = window.as<double>(0, 2);
  EXPECT_GT(build_seconds, 0.5) << "the table is too small to show anything";
  // Writes committed inside the build window, and the longest gap between consecutive ones.
  pgfast::Result during = db.query(
      "SELECT count(*), COALESCE(extract(epoch FROM max(gap)), 0)::float8 FROM ("
      "SELECT t - lag(t) OVER (ORDER BY t) AS gap, t FROM unnest($1::timestamptz[]) t) s "
      "WHERE t BETWEEN $2::timestamptz AND $3::timestamptz",
      pgfast::params(pgfast::array_literal(commit_times), started, finished));
  long writes_during = during.as<long>(0, 0);
  double longest_gap = during.as<double>(0, 1);
  EXPECT_GT(writes_during, 50) << "writes committed during a " << build_seconds << " s build";
  // A blocking build would stall every write for the whole build.
  EXPECT_LT(longest_gap, build_seconds / 2) << "a write waited " << longest_gap << " s";
  std::printf("concurrent build: %.2f s, %ld writes committed during it, longest gap %.3f s\n",
              build_seconds, writes_during, longest_gap);
  EXPECT_EQ(db.query("SELECT indisvalid FROM pg_index WHERE indexrelid = $1::regclass",
                     pgfast::params(name))
                .as<bool>(0, 0),
            true);
}

}  // namespace
