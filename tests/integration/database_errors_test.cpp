// Server errors reach the caller as the right exception type with SQLSTATE, detail and hint.
#include <gtest/gtest.h>

#include <string>

#include "pgfast/database.hpp"
#include "pgfast/errors.hpp"
#include "test_env.hpp"

namespace {

using pgfast::Database;
using pgfast::params;
using pgfast_test::pool_options;
using pgfast_test::unique_name;

class DatabaseErrors : public ::testing::Test {
 protected:
  DatabaseErrors() : db_(pool_options(unique_name("pgfast_errors"), 2, 0)) {}
  Database db_;
};

TEST_F(DatabaseErrors, DivisionByZeroIsADataException) {
  try {
    db_.query("SELECT 1/0");
    FAIL() << "no exception";
  } catch (const pgfast::DataError& e) {
    EXPECT_EQ(e.sqlstate(), "22012");
    EXPECT_STREQ(e.what(), "division by zero");
  }
}

TEST_F(DatabaseErrors, UniqueViolationCarriesDetail) {
  pgfast_test::ScratchTable table(db_, "id int PRIMARY KEY");
  db_.query("INSERT INTO " + table.name() + " VALUES (1)");
  try {
    db_.query("INSERT INTO " + table.name() + " VALUES ($1)", params(1));
    FAIL() << "no exception";
  } catch (const pgfast::IntegrityError& e) {
    EXPECT_EQ(e.sqlstate(), "23505");
    EXPECT_EQ(e.detail(), "Key (id)=(1) already exists.");
    EXPECT_NE(std::string(e.what()).find("duplicate key"), std::string::npos) << e.what();
  }
}

TEST_F(DatabaseErrors, SyntaxError) {
  try {
    db_.query("SELEC 1");
    FAIL() << "no exception";
  } catch (const pgfast::SyntaxOrAccessError& e) {
    EXPECT_EQ(e.sqlstate(), "42601");
  }
}

TEST_F(DatabaseErrors, MissingTable) {
  try {
    db_.query("SELECT * FROM missing_table_xyz");
    FAIL() << "no exception";
  } catch (const pgfast::SyntaxOrAccessError& e) {
    EXPECT_EQ(e.sqlstate(), "42P01");
    EXPECT_NE(std::string(e.what()).find("missing_table_xyz"), std::string::npos) << e.what();
  }
}

TEST_F(DatabaseErrors, ServerHintIsCarried) {
  try {
    db_.query("SELECT no_such_function_xyz(1)");
    FAIL() << "no exception";
  } catch (const pgfast::SyntaxOrAccessError& e) {
    EXPECT_EQ(e.sqlstate(), "42883");
    EXPECT_NE(e.hint().find("explicit type casts"), std::string::npos) << e.hint();
  }
}

TEST_F(DatabaseErrors, PlpgsqlRaiseCarriesCustomSqlstateDetailAndHint) {
  try {
    db_.query(
        "DO $$ BEGIN RAISE EXCEPTION 'custom failure' USING ERRCODE = 'P0001', "
        "DETAIL = 'the detail', HINT = 'the hint'; END $$");
    FAIL() << "no exception";
  } catch (const pgfast::PlpgsqlError& e) {
    EXPECT_EQ(e.sqlstate(), "P0001");
    EXPECT_STREQ(e.what(), "custom failure");
    EXPECT_EQ(e.detail(), "the detail");
    EXPECT_EQ(e.hint(), "the hint");
  }
  // A SQLSTATE of a class without its own type is still a DatabaseError with the code.
  try {
    db_.query("DO $$ BEGIN RAISE EXCEPTION 'odd' USING ERRCODE = '26000'; END $$");
    FAIL() << "no exception";
  } catch (const pgfast::DatabaseError& e) {
    EXPECT_EQ(e.sqlstate(), "26000");
    EXPECT_EQ(typeid(e), typeid(pgfast::DatabaseError));
  }
}

TEST_F(DatabaseErrors, QueryCanceledIsOperatorIntervention) {
  pgfast::PooledConnection lease = db_.acquire();
  lease->execute("SET statement_timeout = '10ms'");
  try {
    lease->execute("SELECT pg_sleep(5)");
    FAIL() << "no exception";
  } catch (const pgfast::OperatorInterventionError& e) {
    EXPECT_EQ(e.sqlstate(), "57014");
  }
  lease->execute("RESET statement_timeout");
  EXPECT_TRUE(lease->usable());
}

TEST_F(DatabaseErrors, BadParameterTextIsADataException) {
  try {
    db_.query("SELECT $1::int", params("not a number"));
    FAIL() << "no exception";
  } catch (const pgfast::DataError& e) {
    EXPECT_EQ(e.sqlstate(), "22P02");
  }
}

TEST_F(DatabaseErrors, ConnectionStaysUsableAfterAnError) {
  pgfast::PooledConnection lease = db_.acquire();
  EXPECT_THROW(lease->execute("SELECT 1/0"), pgfast::DataError);
  EXPECT_TRUE(lease->usable());
  EXPECT_EQ(lease->execute("SELECT 3").as<int>(0, 0), 3);
}

TEST_F(DatabaseErrors, CopyThroughExecuteIsRefusedAndTheConnectionRecovers) {
  pgfast::PooledConnection lease = db_.acquire();
  EXPECT_THROW(lease->execute("COPY (SELECT 1) TO STDOUT"), pgfast::ClientError);
  EXPECT_TRUE(lease->usable());
  pgfast_test::ScratchTable table(db_, "id int");
  EXPECT_THROW(lease->execute("COPY " + table.name() + " FROM STDIN"), pgfast::ClientError);
  EXPECT_EQ(lease->transaction_status(), pgfast::TransactionStatus::idle);
  EXPECT_EQ(lease->execute("SELECT 4").as<int>(0, 0), 4);
}

}  // namespace
