// BulkWriter against the real server: binary COPY into a staging table in chunks, merged with
// pgfast.bulk_upsert_from every merge_rows rows and in finish(), or straight into the target where
// that is safe (the direct path, observable as BulkProgress::chunks_direct).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "pgfast/bulk/bulk_writer.hpp"
#include "pgfast/db/database.hpp"
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

  long count(const std::string& table) {
    return db_->query("SELECT count(*) FROM " + table).as<long>(0, 0);
  }

  // After a writer was dropped inside the caller's transaction: that transaction is still usable,
  // holds `rows` rows of the table, and commits them.
  void expect_usable_and_committed(pgfast::Connection& caller, long rows) {
    ASSERT_EQ(caller.transaction_status(), pgfast::TransactionStatus::in_transaction);
    EXPECT_EQ(caller.execute("SELECT count(*) FROM " + table_).as<long>(0, 0), rows);
    caller.execute("COMMIT");
    EXPECT_EQ(count(table_), rows);
  }

  std::unique_ptr<pgfast::Database> db_;
  std::string table_;
};

pgfast::BulkValue title(const std::string& t) {
  return pgfast::BulkValue{t};
}

TEST_F(BulkWriterTest, RoundTripsEveryTypeInChunksWithProgress) {
  pgfast::PooledConnection lease = db_->acquire();
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
  // n is int, the writer sends bigint: every chunk went through the stage and a cast.
  EXPECT_EQ(writer.progress().chunks_direct, 0u);
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
    pgfast::PooledConnection lease = db_->acquire();
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
  pgfast::PooledConnection lease = db_->acquire();
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
  } catch (const pgfast::NotNullViolationError& e) {  // the SQLSTATE's own type, with the row
    ASSERT_TRUE(e.input_row().has_value()) << e.what();
    EXPECT_EQ(*e.input_row(), 217u) << e.what();
    EXPECT_EQ(e.input_column(), "id");
    EXPECT_EQ(e.sqlstate(), "23502");
    // One position in the message: the caller's row, not the stage's (third chunk: 17th row).
    EXPECT_EQ(std::string(e.what()), "row 217, column \"id\": key column \"id\" is NULL");
  }
  EXPECT_EQ(db_->query("SELECT count(*) FROM " + table_).as<long>(0, 0), 0);
}

TEST_F(BulkWriterTest, RowComesFromTheStructuredDetailNeverFromTheMessage) {
  // A trigger raises errors whose message names a misleading source[1]: the writer must report
  // the row the DETAIL's pgfast.row names (the third of the second merge: add_row 7), and no row
  // when the DETAIL names none.
  const std::string fn = pgfast_test::unique_name("bw_misleading");
  db_->query("CREATE FUNCTION " + fn +
             "() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN IF NEW.id = 7 THEN RAISE EXCEPTION "
             "'bad value in source[1]' USING ERRCODE = '22023', DETAIL = CASE WHEN NEW.title = "
             "'structured' THEN 'pgfast.row=3 pgfast.column=\"title\"' ELSE 'no row here' END; "
             "END IF; RETURN NEW; END$$");
  db_->query("CREATE TRIGGER misleading BEFORE INSERT ON " + table_ +
             " FOR EACH ROW EXECUTE FUNCTION " + fn + "()");
  for (const std::string kind : {"structured", "message only"}) {
    pgfast::PooledConnection lease = db_->acquire();
    pgfast::BulkWriterOptions o = options();
    o.columns.resize(2);
    o.chunk_rows = 2;
    o.merge_rows = 4;
    try {
      pgfast::BulkWriter writer(*lease, o);
      for (std::int64_t i = 1; i <= 10; ++i) writer.add_row({i, title(kind)});
      writer.finish();
      FAIL() << "the trigger's error was not raised";
    } catch (const pgfast::DatabaseError& e) {
      EXPECT_EQ(e.sqlstate(), "22023");
      if (kind == "structured") {
        EXPECT_EQ(e.input_row(), 7u) << e.what();
        EXPECT_EQ(e.input_column(), "title");
        EXPECT_EQ(std::string(e.what()), "row 7, column \"title\": bad value in source[1]");
      } else {
        EXPECT_FALSE(e.input_row().has_value()) << e.what();
        EXPECT_FALSE(e.input_column().has_value());
        EXPECT_EQ(std::string(e.what()), "bad value in source[1]");
      }
    }
  }
  EXPECT_EQ(count(table_), 0);
  db_->query("DROP TABLE " + table_);
  db_->query("DROP FUNCTION " + fn + "()");
}

TEST_F(BulkWriterTest, WrongValueTypeIsAClientErrorNamingRowAndColumn) {
  pgfast::PooledConnection lease = db_->acquire();
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
  pgfast::PooledConnection lease = db_->acquire();
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

TEST_F(BulkWriterTest, DirectInsertModeRoundTripsEveryType) {
  pgfast::PooledConnection lease = db_->acquire();
  db_->query("ALTER TABLE " + table_ + " ALTER COLUMN title TYPE varchar(20), " +
             "ALTER COLUMN n TYPE bigint");
  pgfast::BulkWriterOptions o = options();
  o.mode = pgfast::BulkMode::insert;
  o.chunk_rows = 100;
  pgfast::BulkWriter writer(*lease, o);
  for (std::int64_t i = 1; i <= 250; ++i) {
    writer.add_row({i, std::string("t") + std::to_string(i), i * 3, pgfast::Timestamp{i},
                    pgfast::Json{"[" + std::to_string(i) + "]"}, i * 0.5, i % 3 == 0});
  }
  pgfast::BulkResult r = writer.finish();
  EXPECT_EQ(r.inserted, 250);
  EXPECT_EQ(r.rows, 250u);
  EXPECT_EQ(writer.progress().chunks_merged, 3u);
  EXPECT_EQ(writer.progress().chunks_direct, 3u);
  pgfast::Result check = db_->query(
      "SELECT count(*), sum(n), count(*) FILTER (WHERE ok), sum(score), "
      "bool_and(title = 't' || id AND meta = jsonb_build_array(id) AND "
      "seen = to_timestamp(0) + id * interval '1 microsecond') FROM " +
      table_);
  EXPECT_EQ(check.as<long>(0, 0), 250);
  EXPECT_EQ(check.as<long>(0, 1), 3 * 250 * 251 / 2);
  EXPECT_EQ(check.as<long>(0, 2), 83);
  EXPECT_DOUBLE_EQ(check.as<double>(0, 3), 0.5 * 250 * 251 / 2);
  EXPECT_TRUE(check.as<bool>(0, 4));
}

TEST_F(BulkWriterTest, NonMatchingTargetTypeTakesTheStagedPath) {
  // n is int here: the writer sends int8, so the values go through the stage and a cast.
  pgfast::PooledConnection lease = db_->acquire();
  pgfast::BulkWriterOptions o = options();
  o.columns.resize(3);
  o.mode = pgfast::BulkMode::insert;
  o.chunk_rows = 10;
  pgfast::BulkWriter writer(*lease, o);
  for (std::int64_t i = 1; i <= 25; ++i) writer.add_row({i, title("x"), i});
  EXPECT_EQ(writer.finish().inserted, 25);
  EXPECT_EQ(writer.progress().chunks_merged, 3u);
  EXPECT_EQ(writer.progress().chunks_direct, 0u);
  EXPECT_EQ(db_->query("SELECT sum(n) FROM " + table_).as<long>(0, 0), 25 * 26 / 2);
}

TEST_F(BulkWriterTest, DirectInsertModeErrorNamesTheInputRow) {
  db_->query("ALTER TABLE " + table_ + " ADD CONSTRAINT positive_score CHECK (score > 0)");
  pgfast::PooledConnection lease = db_->acquire();
  pgfast::BulkWriterOptions o = options();
  o.mode = pgfast::BulkMode::insert;
  o.columns = {{"id", pgfast::BulkType::int64}, {"score", pgfast::BulkType::float64}};
  o.chunk_rows = 5;
  std::uint64_t direct_before_error = 0;
  o.on_progress = [&](const pgfast::BulkProgress& p) { direct_before_error = p.chunks_direct; };
  try {
    pgfast::BulkWriter writer(*lease, o);
    for (std::int64_t i = 1; i <= 20; ++i) writer.add_row({i, i == 17 ? -1.0 : 1.0});
    writer.finish();
    FAIL() << "the CHECK violation was accepted";
  } catch (const pgfast::DatabaseError& e) {
    ASSERT_TRUE(e.input_row().has_value()) << e.what();
    EXPECT_EQ(*e.input_row(), 17u) << e.what();  // tuple 2 of the fourth COPY
    EXPECT_FALSE(e.input_column().has_value());  // a CHECK constraint blames no one column
    EXPECT_EQ(e.sqlstate(), "23514");
    EXPECT_EQ(std::string(e.what()).rfind("row 17: ", 0), 0u) << e.what();
  }
  EXPECT_EQ(direct_before_error, 3u);
  EXPECT_EQ(count(table_), 0);  // the writer's own transaction was rolled back
}

TEST_F(BulkWriterTest, DirectInsertModeNullViolationNamesTheRowInALargerChunk) {
  db_->query("ALTER TABLE " + table_ + " ALTER COLUMN title SET NOT NULL");
  pgfast::PooledConnection lease = db_->acquire();
  pgfast::BulkWriterOptions o = options();
  o.mode = pgfast::BulkMode::insert;
  o.columns.resize(2);
  o.chunk_rows = 10;
  try {
    pgfast::BulkWriter writer(*lease, o);
    for (std::int64_t i = 1; i <= 30; ++i) {
      writer.add_row({i, i == 27 ? pgfast::BulkValue{} : title("x")});
    }
    writer.finish();
    FAIL() << "a NULL title was accepted";
  } catch (const pgfast::DatabaseError& e) {
    ASSERT_TRUE(e.input_row().has_value()) << e.what();
    EXPECT_EQ(*e.input_row(), 27u) << e.what();
    EXPECT_EQ(e.input_column(), "title");  // COPY's context has none: the error's column field
    EXPECT_EQ(e.sqlstate(), "23502");
  }
  EXPECT_EQ(count(table_), 0);
}

TEST_F(BulkWriterTest, UpsertGoesDirectUntilAChunkMeetsExistingKeys) {
  db_->query("ALTER TABLE " + table_ + " ALTER COLUMN n TYPE bigint");
  db_->query("INSERT INTO " + table_ +
             " (id, title, n) SELECT g, 'old', g FROM generate_series(1001, 1010) g");
  pgfast::PooledConnection lease = db_->acquire();
  pgfast::BulkWriterOptions o = options();
  o.columns.resize(3);
  o.chunk_rows = 10;
  pgfast::BulkWriter writer(*lease, o);
  for (std::int64_t i = 1; i <= 20; ++i) writer.add_row({i, title("new"), i});  // chunks 1, 2
  for (std::int64_t i = 1001; i <= 1010; ++i) {                                 // chunk 3
    writer.add_row({i, title("old"), i <= 1005 ? i + 1 : i});  // 5 changed, 5 unchanged
  }
  for (std::int64_t i = 21; i <= 30; ++i) writer.add_row({i, title("new"), i});  // chunk 4
  pgfast::BulkResult r = writer.finish();
  EXPECT_EQ(r.inserted, 30);
  EXPECT_EQ(r.updated, 5);
  EXPECT_EQ(r.unchanged, 5);
  EXPECT_EQ(r.rows, 40u);
  EXPECT_EQ(writer.progress().chunks_merged, 4u);
  // Chunks 1 and 2 went straight in; chunk 3 fell back to the merge, and so did the rest.
  EXPECT_EQ(writer.progress().chunks_direct, 2u);
  pgfast::Result check = db_->query(
      "SELECT count(*), count(*) FILTER (WHERE title = 'new' AND n = id AND id <= 30), "
      "count(*) FILTER (WHERE title = 'old' AND n = id + 1 AND id BETWEEN 1001 AND 1005), "
      "count(*) FILTER (WHERE title = 'old' AND n = id AND id BETWEEN 1006 AND 1010) FROM " +
      table_);
  EXPECT_EQ(check.as<long>(0, 0), 40);
  EXPECT_EQ(check.as<long>(0, 1), 30);
  EXPECT_EQ(check.as<long>(0, 2), 5);
  EXPECT_EQ(check.as<long>(0, 3), 5);
}

TEST_F(BulkWriterTest, ReloadWhoseFirstKeyExistsIsStagedAndGrowsNothing) {
  db_->query("ALTER TABLE " + table_ + " ALTER COLUMN n TYPE bigint");
  db_->query("INSERT INTO " + table_ +
             " (id, title, n) SELECT g, 'same', g FROM generate_series(1, 3000) g");
  db_->query("VACUUM " + table_);
  const long size_before =
      db_->query("SELECT pg_relation_size($1::regclass)", pgfast::params(table_)).as<long>(0, 0);
  pgfast::PooledConnection lease = db_->acquire();
  pgfast::BulkWriterOptions o = options();
  o.columns.resize(3);
  o.chunk_rows = 1000;
  pgfast::BulkWriter writer(*lease, o);
  // The first row's key exists: a direct attempt would write a COPY batch of dead tuples.
  for (std::int64_t i = 1; i <= 3000; ++i) writer.add_row({i, title("same"), i});
  pgfast::BulkResult r = writer.finish();
  EXPECT_EQ(r.unchanged, 3000);
  EXPECT_EQ(r.inserted + r.updated, 0);
  EXPECT_EQ(writer.progress().chunks_direct, 0u);
  EXPECT_EQ(
      db_->query("SELECT pg_relation_size($1::regclass)", pgfast::params(table_)).as<long>(0, 0),
      size_before);
}

TEST_F(BulkWriterTest, DuplicateKeyInsideAChunkFallsBackAndLastWins) {
  pgfast::PooledConnection lease = db_->acquire();
  pgfast::BulkWriterOptions o = options();
  o.columns.resize(2);
  o.options_json = R"({"on_duplicate": "last"})";
  o.chunk_rows = 4;
  pgfast::BulkWriter writer(*lease, o);
  for (std::int64_t i = 1; i <= 4; ++i) writer.add_row({i, title("first")});  // direct
  writer.add_row({std::int64_t{5}, title("a")});
  writer.add_row({std::int64_t{6}, title("b")});
  writer.add_row({std::int64_t{5}, title("c")});
  pgfast::BulkResult r = writer.finish();
  EXPECT_EQ(r.inserted, 6);
  EXPECT_EQ(r.updated, 0);
  EXPECT_EQ(writer.progress().chunks_direct, 1u);
  EXPECT_EQ(db_->query("SELECT title FROM " + table_ + " WHERE id = 5").get(0, 0), "c");
  EXPECT_EQ(count(table_), 6);
}

TEST_F(BulkWriterTest, InvalidMergeOptionsFailEvenWhenEveryRowIsNew) {
  // Every row would go straight in, but the merge's own checks still apply.
  pgfast::PooledConnection lease = db_->acquire();
  pgfast::BulkWriterOptions o = options();
  o.columns.resize(2);
  o.options_json = R"({"on_duplicate": "sometimes"})";
  try {
    pgfast::BulkWriter writer(*lease, o);
    writer.add_row({std::int64_t{1}, title("x")});
    writer.finish();
    FAIL() << "an invalid on_duplicate was accepted";
  } catch (const pgfast::DatabaseError& e) {
    EXPECT_NE(std::string(e.what()).find("on_duplicate"), std::string::npos) << e.what();
  }
  EXPECT_EQ(count(table_), 0);
}

TEST_F(BulkWriterTest, OmittedSerialColumnKeepsUpsertOffTheDirectPathAndSequenceUnused) {
  const std::string t = pgfast_test::unique_name("bw_serial");
  db_->query("CREATE TABLE " + t + " (id bigint PRIMARY KEY, title text, serial_no bigserial)");
  db_->query("INSERT INTO " + t + " (id, title) SELECT g, 'old' FROM generate_series(1, 5) g");
  const std::string last_value =
      "SELECT last_value FROM " + std::string(db_->query("SELECT pg_get_serial_sequence($1, "
                                                         "'serial_no')",
                                                         pgfast::params(t))
                                                  .get(0, 0));
  const long before = db_->query(last_value).as<long>(0, 0);
  {
    pgfast::PooledConnection lease = db_->acquire();
    pgfast::BulkWriterOptions o;
    o.target = t;
    o.columns = {{"id", pgfast::BulkType::int64}, {"title", pgfast::BulkType::text}};
    o.chunk_rows = 2;
    pgfast::BulkWriter writer(*lease, o);
    for (std::int64_t i = 1; i <= 5; ++i) writer.add_row({i, title("new")});
    pgfast::BulkResult r = writer.finish();
    EXPECT_EQ(r.updated, 5);
    EXPECT_EQ(r.inserted, 0);
    EXPECT_EQ(writer.progress().chunks_direct, 0u);
  }
  EXPECT_EQ(db_->query(last_value).as<long>(0, 0), before);
  EXPECT_EQ(db_->query("SELECT count(*) FROM " + t + " WHERE title = 'new'").as<long>(0, 0), 5);
  db_->query("DROP TABLE " + t);
}

TEST_F(BulkWriterTest, UserTriggerKeepsUpsertOnTheStagedPathAndFiresOncePerRow) {
  const std::string fired = pgfast_test::unique_name("bw_fired");
  db_->query("CREATE TABLE " + fired + " (id bigint)");
  db_->query("CREATE FUNCTION " + fired + "_fn() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN " +
             "INSERT INTO " + fired + " VALUES (NEW.id); RETURN NEW; END$$");
  db_->query("CREATE TRIGGER count_rows AFTER INSERT OR UPDATE ON " + table_ +
             " FOR EACH ROW EXECUTE FUNCTION " + fired + "_fn()");
  {
    pgfast::PooledConnection lease = db_->acquire();
    pgfast::BulkWriterOptions o = options();
    o.columns.resize(2);
    o.chunk_rows = 5;
    pgfast::BulkWriter writer(*lease, o);
    for (std::int64_t i = 1; i <= 12; ++i) writer.add_row({i, title("x")});
    EXPECT_EQ(writer.finish().inserted, 12);
    EXPECT_EQ(writer.progress().chunks_merged, 3u);
    EXPECT_EQ(writer.progress().chunks_direct, 0u);
  }
  EXPECT_EQ(count(fired), 12);
  EXPECT_EQ(db_->query("SELECT count(DISTINCT id) FROM " + fired).as<long>(0, 0), 12);
  db_->query("DROP TABLE " + table_);
  db_->query("DROP TABLE " + fired);
  db_->query("DROP FUNCTION " + fired + "_fn()");
}

TEST_F(BulkWriterTest, InsertModeDirectPathAlsoTakesTablesWithTriggers) {
  // Insert mode has nothing to retry: a trigger fires as it would for the INSERT.
  const std::string fired = pgfast_test::unique_name("bw_fired");
  db_->query("CREATE TABLE " + fired + " (id bigint)");
  db_->query("CREATE FUNCTION " + fired + "_fn() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN " +
             "INSERT INTO " + fired + " VALUES (NEW.id); RETURN NEW; END$$");
  db_->query("CREATE TRIGGER count_rows AFTER INSERT ON " + table_ + " FOR EACH ROW EXECUTE " +
             "FUNCTION " + fired + "_fn()");
  {
    pgfast::PooledConnection lease = db_->acquire();
    pgfast::BulkWriterOptions o = options();
    o.columns.resize(2);
    o.mode = pgfast::BulkMode::insert;
    o.chunk_rows = 5;
    pgfast::BulkWriter writer(*lease, o);
    for (std::int64_t i = 1; i <= 12; ++i) writer.add_row({i, title("x")});
    EXPECT_EQ(writer.finish().inserted, 12);
    EXPECT_EQ(writer.progress().chunks_direct, 3u);
  }
  EXPECT_EQ(count(fired), 12);
  db_->query("DROP TABLE " + table_);
  db_->query("DROP TABLE " + fired);
  db_->query("DROP FUNCTION " + fired + "_fn()");
}

TEST_F(BulkWriterTest, NotifyChangesTriggerKeepsTheDirectPath) {
  // pgfast's own trigger only NOTIFYs, which a rolled-back attempt undoes.
  db_->query("SELECT pgfast.notify_changes($1::regclass)", pgfast::params(table_));
  pgfast::PooledConnection lease = db_->acquire();
  pgfast::BulkWriterOptions o = options();
  o.columns.resize(2);
  o.chunk_rows = 5;
  pgfast::BulkWriter writer(*lease, o);
  for (std::int64_t i = 1; i <= 10; ++i) writer.add_row({i, title("x")});
  EXPECT_EQ(writer.finish().inserted, 10);
  EXPECT_EQ(writer.progress().chunks_direct, 2u);
}

TEST_F(BulkWriterTest, PartitionedTargetUpsertsDirectThenThroughTheStage) {
  const std::string t = pgfast_test::unique_name("bw_parts");
  db_->query("CREATE TABLE " + t + " (id bigint PRIMARY KEY, title text) PARTITION BY RANGE (id)");
  db_->query("CREATE TABLE " + t + "_low PARTITION OF " + t + " FOR VALUES FROM (0) TO (100)");
  db_->query("CREATE TABLE " + t + "_high PARTITION OF " + t + " FOR VALUES FROM (100) TO (1000)");
  db_->query("INSERT INTO " + t + " VALUES (150, 'old')");
  {
    pgfast::PooledConnection lease = db_->acquire();
    pgfast::BulkWriterOptions o;
    o.target = t;
    o.columns = {{"id", pgfast::BulkType::int64}, {"title", pgfast::BulkType::text}};
    o.chunk_rows = 10;
    pgfast::BulkWriter writer(*lease, o);
    for (std::int64_t i = 95; i <= 104; ++i) writer.add_row({i, title("new")});   // direct
    for (std::int64_t i = 145; i <= 154; ++i) writer.add_row({i, title("new")});  // meets 150
    pgfast::BulkResult r = writer.finish();
    EXPECT_EQ(r.inserted, 19);
    EXPECT_EQ(r.updated, 1);
    EXPECT_EQ(writer.progress().chunks_direct, 1u);
  }
  EXPECT_EQ(db_->query("SELECT count(*) FROM " + t + "_high WHERE title = 'new'").as<long>(0, 0),
            15);
  EXPECT_EQ(db_->query("SELECT count(*) FROM " + t + "_low").as<long>(0, 0), 5);
  db_->query("DROP TABLE " + t);
}

TEST_F(BulkWriterTest, RowLevelSecurityKeepsTheStagedPath) {
  db_->query("ALTER TABLE " + table_ + " ENABLE ROW LEVEL SECURITY");
  pgfast::PooledConnection lease = db_->acquire();
  pgfast::BulkWriterOptions o = options();
  o.columns.resize(2);
  o.mode = pgfast::BulkMode::insert;
  pgfast::BulkWriter writer(*lease, o);
  for (std::int64_t i = 1; i <= 3; ++i) writer.add_row({i, title("x")});
  EXPECT_EQ(writer.finish().inserted, 3);
  EXPECT_EQ(writer.progress().chunks_direct, 0u);
}

TEST_F(BulkWriterTest, AbandonedDirectChunkLeavesTheCallersTransactionUsable) {
  pgfast::PooledConnection lease = db_->acquire();
  lease->execute("BEGIN");
  {
    pgfast::BulkWriterOptions o = options();
    o.columns.resize(2);
    o.chunk_rows = 10;
    pgfast::BulkWriter writer(*lease, o);
    for (std::int64_t i = 1; i <= 15; ++i) writer.add_row({i, title("x")});
    EXPECT_EQ(writer.progress().chunks_direct, 1u);
  }  // dropped with 5 rows of chunk 2 sent
  ASSERT_EQ(lease->transaction_status(), pgfast::TransactionStatus::in_transaction);
  EXPECT_EQ(lease->execute("SELECT count(*) FROM " + table_).as<long>(0, 0), 10);
  {
    // The caller's transaction goes on; a second writer's upsert lands in it too.
    pgfast::BulkWriterOptions o = options();
    o.columns.resize(2);
    pgfast::BulkWriter writer(*lease, o);
    for (std::int64_t i = 5; i <= 20; ++i) writer.add_row({i, title("y")});
    pgfast::BulkResult r = writer.finish();
    EXPECT_EQ(r.inserted, 10);
    EXPECT_EQ(r.updated, 6);
  }
  lease->execute("COMMIT");
  EXPECT_EQ(count(table_), 20);
}

TEST_F(BulkWriterTest, AbandonedDirectInsertModeChunkLeavesTheCallersTransactionUsable) {
  pgfast::PooledConnection lease = db_->acquire();
  lease->execute("BEGIN");
  {
    pgfast::BulkWriterOptions o = options();
    o.mode = pgfast::BulkMode::insert;
    o.columns.resize(2);
    o.chunk_rows = 10;
    pgfast::BulkWriter writer(*lease, o);
    for (std::int64_t i = 1; i <= 15; ++i) writer.add_row({i, title("x")});
    EXPECT_EQ(writer.progress().chunks_direct, 1u);
  }  // dropped with 5 rows of chunk 2 sent straight into the target
  expect_usable_and_committed(*lease, 10);
}

TEST_F(BulkWriterTest, DirectInsertModeErrorInTheCallersTransactionAbortsIt) {
  pgfast::PooledConnection lease = db_->acquire();
  lease->execute("BEGIN");
  try {
    pgfast::BulkWriterOptions o = options();
    o.mode = pgfast::BulkMode::insert;
    o.columns.resize(2);
    o.chunk_rows = 10;
    pgfast::BulkWriter writer(*lease, o);
    for (std::int64_t i = 1; i <= 15; ++i) writer.add_row({i == 13 ? 3 : i, title("x")});
    writer.finish();
    FAIL() << "a duplicate key was accepted";
  } catch (const pgfast::DatabaseError& e) {
    EXPECT_EQ(e.sqlstate(), "23505");
    ASSERT_TRUE(e.input_row().has_value()) << e.what();
    EXPECT_EQ(*e.input_row(), 13u) << e.what();
  }
  // Like any failed statement: the caller decides (here: roll back).
  EXPECT_EQ(lease->transaction_status(), pgfast::TransactionStatus::in_error);
  lease->execute("ROLLBACK");
  EXPECT_EQ(count(table_), 0);
}

TEST_F(BulkWriterTest, AbandonedStagedChunkLeavesTheCallersTransactionUsable) {
  pgfast::PooledConnection lease = db_->acquire();
  lease->execute("BEGIN");
  {
    pgfast::BulkWriterOptions o = options();
    o.columns = {{"id", pgfast::BulkType::int64}, {"n", pgfast::BulkType::int64}};  // n is int
    o.chunk_rows = 10;
    o.merge_rows = 10;
    pgfast::BulkWriter writer(*lease, o);
    for (std::int64_t i = 1; i <= 15; ++i) writer.add_row({i, i});
    EXPECT_EQ(writer.progress().chunks_merged, 1u);
    EXPECT_EQ(writer.progress().merges, 1u);
    EXPECT_EQ(writer.progress().chunks_direct, 0u);
  }  // dropped with 5 rows of chunk 2 in the stage's COPY
  expect_usable_and_committed(*lease, 10);
}

TEST_F(BulkWriterTest, StagedChunksAreMergedEveryMergeRowsAndDuplicatesAcrossChunksFollowLast) {
  pgfast::PooledConnection lease = db_->acquire();
  pgfast::BulkWriterOptions o = options();
  o.columns = {{"id", pgfast::BulkType::int64}, {"n", pgfast::BulkType::int64}};  // n is int
  o.chunk_rows = 10;
  o.merge_rows = 30;
  std::vector<std::uint64_t> merges_seen;
  o.on_progress = [&](const pgfast::BulkProgress& p) { merges_seen.push_back(p.merges); };
  pgfast::BulkWriter writer(*lease, o);
  // Rows 1-30, 31-60 and 61-70 are merged together. Key 5 comes again at row 25 (same merge: the
  // last one wins, one insert), key 45 again at row 65 (the next merge: an update).
  for (std::int64_t row = 1; row <= 70; ++row) {
    const std::int64_t key = row == 25 ? 5 : row == 65 ? 45 : row;
    writer.add_row({key, row});
  }
  EXPECT_EQ(merges_seen, (std::vector<std::uint64_t>{0, 0, 1, 1, 1, 2, 2}));
  pgfast::BulkResult r = writer.finish();
  EXPECT_EQ(writer.progress().merges, 3u);
  EXPECT_EQ(writer.progress().chunks_merged, 7u);
  EXPECT_EQ(r.rows, 70u);
  EXPECT_EQ(r.inserted, 68);
  EXPECT_EQ(r.updated, 1);
  EXPECT_EQ(count(table_), 68);
  pgfast::Result check =
      db_->query("SELECT id, n FROM " + table_ + " WHERE id IN (5, 45) ORDER BY id");
  EXPECT_EQ(check.as<long>(0, 1), 25);
  EXPECT_EQ(check.as<long>(1, 1), 65);
}

TEST_F(BulkWriterTest, DuplicateAcrossChunksOfOneMergeWithOnDuplicateErrorNamesTheRow) {
  pgfast::PooledConnection lease = db_->acquire();
  pgfast::BulkWriterOptions o = options();
  o.columns = {{"id", pgfast::BulkType::int64}, {"n", pgfast::BulkType::int64}};  // n is int
  o.options_json = R"({"on_duplicate": "error"})";
  o.chunk_rows = 10;
  try {
    pgfast::BulkWriter writer(*lease, o);
    for (std::int64_t row = 1; row <= 40; ++row) writer.add_row({row == 33 ? 17 : row, row});
    writer.finish();
    FAIL() << "a duplicate key was accepted";
  } catch (const pgfast::DatabaseError& e) {
    EXPECT_EQ(e.sqlstate(), "21000");
    ASSERT_TRUE(e.input_row().has_value()) << e.what();
    EXPECT_EQ(*e.input_row(), 33u) << e.what();  // the row that repeats the key of row 17
    EXPECT_EQ(std::string(e.what()), "row 33: an input row repeats the key of an earlier one");
    EXPECT_NE(e.detail().find("source[33] has the key of source[17]"), std::string::npos)
        << e.detail();
  }
  EXPECT_EQ(count(table_), 0);
}

TEST_F(BulkWriterTest, MergeRowsMustBePositive) {
  pgfast::PooledConnection lease = db_->acquire();
  pgfast::BulkWriterOptions o = options();
  o.merge_rows = 0;
  EXPECT_THROW(pgfast::BulkWriter(*lease, o), pgfast::ClientError);
}

TEST_F(BulkWriterTest, Int32AndFloat32ColumnsTakeTheDirectPath) {
  db_->query("CREATE TABLE " + table_ + "_narrow (id int PRIMARY KEY, n int, r real)");
  pgfast::PooledConnection lease = db_->acquire();
  pgfast::BulkWriterOptions o;
  o.target = table_ + "_narrow";
  o.columns = {{"id", pgfast::BulkType::int32},
               {"n", pgfast::BulkType::int32},
               {"r", pgfast::BulkType::float32}};
  o.chunk_rows = 100;
  {
    pgfast::BulkWriter writer(*lease, o);
    for (std::int64_t i = 1; i <= 250; ++i) writer.add_row({i, -i * 1000, i / 4.0});
    writer.add_row({std::int64_t{2147483647}, std::int64_t{-2147483648LL}, std::monostate{}});
    pgfast::BulkResult r = writer.finish();
    EXPECT_EQ(r.inserted, 251);
    EXPECT_EQ(writer.progress().chunks_direct, 3u);
  }
  pgfast::Result check =
      db_->query("SELECT n, r, (SELECT n FROM " + table_ +
                 "_narrow WHERE id = 2147483647), (SELECT r IS NULL FROM " + table_ +
                 "_narrow WHERE id = 2147483647) FROM " + table_ + "_narrow WHERE id = 42");
  EXPECT_EQ(check.as<long>(0, 0), -42000);
  EXPECT_DOUBLE_EQ(check.as<double>(0, 1), 10.5);
  EXPECT_EQ(check.as<long>(0, 2), -2147483648L);
  EXPECT_TRUE(check.as<bool>(0, 3));
  {
    // A second pass with the same keys: the first key exists, so the writer stages and merges.
    pgfast::BulkWriter writer(*lease, o);
    for (std::int64_t i = 1; i <= 10; ++i) writer.add_row({i, i == 3 ? 7 : -i * 1000, i / 4.0});
    pgfast::BulkResult r = writer.finish();
    EXPECT_EQ(r.updated, 1);
    EXPECT_EQ(r.unchanged, 9);
    EXPECT_EQ(writer.progress().chunks_direct, 0u);
  }
  db_->query("DROP TABLE " + table_ + "_narrow");
}

TEST_F(BulkWriterTest, Int32OutOfRangeIsAClientErrorNamingRowAndColumn) {
  pgfast::PooledConnection lease = db_->acquire();
  pgfast::BulkWriterOptions o = options();
  o.columns = {{"id", pgfast::BulkType::int64}, {"n", pgfast::BulkType::int32}};
  pgfast::BulkWriter writer(*lease, o);
  writer.add_row({std::int64_t{1}, std::int64_t{5}});
  try {
    writer.add_row({std::int64_t{2}, std::int64_t{3000000000LL}});
    FAIL() << "an out-of-range integer was accepted";
  } catch (const pgfast::ClientError& e) {
    EXPECT_NE(std::string(e.what()).find("row 2, column \"n\""), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("out of range for type integer"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(writer.finish().inserted, 1);
  EXPECT_EQ(db_->query("SELECT n FROM " + table_ + " WHERE id = 1").as<long>(0, 0), 5);
}

}  // namespace
