// BulkWriter against the real server: binary COPY into a staging table, merged with
// pgfast.bulk_upsert_from in chunks.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "pgfast/bulk_writer.hpp"
#include "pgfast/database.hpp"
#include "pgfast/errors.hpp"
#include "test_env.hpp"

namespace {

class BulkWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::make_unique<pgfast::Database>(
        pgfast_test::pool_options(pgfast_test::unique_name("bulkwriter"), 2, 0));
    table_ = pgfast_test::unique_name("bw");
    db_->query("CREATE EXTENSION IF NOT EXISTS pgfast");
    db_->query("CREATE TABLE " + table_ +
               " (id bigint PRIMARY KEY, title text, n int, seen timestamptz, meta jsonb, "
               "score double precision, ok boolean)");
  }
  void TearDown() override { db_->query("DROP TABLE IF EXISTS " + table_); }

  pgfast::BulkWriterOptions options() {
    pgfast::BulkWriterOptions o;
    o.target = table_;
    o.columns = {{"id", pgfast::BulkType::int64},   {"title", pgfast::BulkType::text},
                 {"n", pgfast::BulkType::int64},    {"seen", pgfast::BulkType::timestamptz},
                 {"meta", pgfast::BulkType::jsonb}, {"score", pgfast::BulkType::float64},
                 {"ok", pgfast::BulkType::boolean}};
    return o;
  }

  std::unique_ptr<pgfast::Database> db_;
  std::string table_;
};

TEST_F(BulkWriterTest, RoundTripsEveryTypeInChunksWithProgress) {
  pgfast::Database::Lease lease = db_->acquire();
  pgfast::BulkWriterOptions o = options();
  o.chunk_rows = 1000;
  std::vector<std::uint64_t> progress;
  o.on_progress = [&](const pgfast::BulkProgress& p) { progress.push_back(p.rows_sent); };
  pgfast::BulkWriter writer(*lease, o);
  for (std::int64_t i = 1; i <= 2500; ++i) {
    writer.add_row({i, std::string("title ") + std::to_string(i) + " ü", i % 7,
                    pgfast::Timestamp{1700000000000000 + i},
                    pgfast::Json{"{\"i\": " + std::to_string(i) + "}"}, i / 4.0, i % 2 == 0});
  }
  writer.add_row({std::int64_t{9999}, std::monostate{}, std::monostate{}, std::monostate{},
                  std::monostate{}, std::monostate{}, std::monostate{}});
  pgfast::BulkResult r = writer.finish();
  EXPECT_EQ(r.inserted, 2501);
  EXPECT_EQ(r.rows, 2501u);
  EXPECT_EQ(progress, (std::vector<std::uint64_t>{1000, 2000, 2501}));
  pgfast::Result check = db_->query(
      "SELECT title, n, seen = to_timestamp(1700000000) + interval '42 microseconds', "
      "meta ->> 'i', score, ok FROM " +
      table_ + " WHERE id = 42");
  EXPECT_EQ(check.get(0, 0), "title 42 ü");
  EXPECT_EQ(check.as<int>(0, 1), 0);
  EXPECT_TRUE(check.as<bool>(0, 2));
  EXPECT_EQ(check.get(0, 3), "42");
  EXPECT_DOUBLE_EQ(check.as<double>(0, 4), 10.5);
  EXPECT_TRUE(check.as<bool>(0, 5));
  pgfast::Result nulls = db_->query("SELECT count(*) FROM " + table_ +
                                    " WHERE id = 9999 AND title IS NULL AND meta IS NULL");
  EXPECT_EQ(nulls.as<long>(0, 0), 1);
}

TEST_F(BulkWriterTest, SecondPassUpdatesOnlyChangedRows) {
  for (int pass = 0; pass < 2; ++pass) {
    pgfast::Database::Lease lease = db_->acquire();
    pgfast::BulkWriterOptions o = options();
    o.columns.resize(3);
    pgfast::BulkWriter writer(*lease, o);
    for (std::int64_t i = 1; i <= 100; ++i) {
      std::int64_t n = (pass == 1 && i <= 10) ? i + 1000 : i;
      writer.add_row({i, std::string("t"), n});
    }
    pgfast::BulkResult r = writer.finish();
    if (pass == 0) {
      EXPECT_EQ(r.inserted, 100);
    } else {
      EXPECT_EQ(r.inserted, 0);
      EXPECT_EQ(r.updated, 10);
      EXPECT_EQ(r.unchanged, 90);
    }
  }
}

TEST_F(BulkWriterTest, NullKeyNamesTheRowAndChangesNothing) {
  pgfast::Database::Lease lease = db_->acquire();
  pgfast::BulkWriterOptions o = options();
  o.columns.resize(2);
  o.chunk_rows = 100;
  try {
    pgfast::BulkWriter writer(*lease, o);
    for (std::int64_t i = 1; i <= 250; ++i) {
      pgfast::BulkValue id = i == 217 ? pgfast::BulkValue{} : pgfast::BulkValue{i};
      writer.add_row({id, std::string("x")});
    }
    writer.finish();
    FAIL() << "a NULL key was accepted";
  } catch (const pgfast::BulkWriteError& e) {
    ASSERT_TRUE(e.row().has_value()) << e.what();
    EXPECT_EQ(*e.row(), 217u) << e.what();
    EXPECT_EQ(e.sqlstate(), "23502");
  }
  EXPECT_EQ(db_->query("SELECT count(*) FROM " + table_).as<long>(0, 0), 0);
}

TEST_F(BulkWriterTest, WrongValueTypeIsAClientErrorNamingRowAndColumn) {
  pgfast::Database::Lease lease = db_->acquire();
  pgfast::BulkWriterOptions o = options();
  o.columns.resize(2);
  pgfast::BulkWriter writer(*lease, o);
  writer.add_row({std::int64_t{1}, std::string("ok")});
  try {
    writer.add_row({std::string("not a number"), std::string("x")});
    FAIL();
  } catch (const pgfast::ClientError& e) {
    EXPECT_NE(std::string(e.what()).find("row 2, column \"id\""), std::string::npos) << e.what();
  }
}

TEST_F(BulkWriterTest, InsertModeAndMillionRows) {
  pgfast::Database::Lease lease = db_->acquire();
  pgfast::BulkWriterOptions o = options();
  o.columns.resize(3);
  o.mode = pgfast::BulkMode::insert;
  o.chunk_rows = 200000;
  pgfast::BulkWriter writer(*lease, o);
  for (std::int64_t i = 1; i <= 1000000; ++i) writer.add_row({i, std::string("r"), i % 1000});
  pgfast::BulkResult r = writer.finish();
  EXPECT_EQ(r.inserted, 1000000);
  pgfast::Result check = db_->query("SELECT count(*), sum(n) FROM " + table_);
  EXPECT_EQ(check.as<long>(0, 0), 1000000);
  EXPECT_EQ(check.as<long>(0, 1), 499500000L);
}

}  // namespace
