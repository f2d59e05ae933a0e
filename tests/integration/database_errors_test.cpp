// Server errors reach the caller as the right exception type (exact SQLSTATE first, class
// second) with SQLSTATE, detail, hint, context, the failed statement and a one-line what().
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <typeinfo>

#include "pgfast/db/database.hpp"
#include "pgfast/errors.hpp"
#include "test_env.hpp"

namespace {

using pgfast::Connection;
using pgfast::Database;
using pgfast::DatabaseErrorInfo;
using pgfast::params;
using pgfast_test::pool_options;
using pgfast_test::unique_name;

// Runs call(), which must throw exactly E with `sqlstate` for `statement`; checks what every
// DatabaseError promises (one-line what() that full_message() contains) and returns the fields
// for further checks (nullopt after a failure).
template <class E, class F>
std::optional<DatabaseErrorInfo> expect_error(F&& call, const std::string& sqlstate,
                                              const std::string& statement) {
  try {
    call();
    ADD_FAILURE() << "no exception; expected " << typeid(E).name() << " " << sqlstate;
  } catch (const E& e) {
    EXPECT_EQ(typeid(e), typeid(E)) << e.sqlstate() << " " << e.what();
    EXPECT_EQ(e.sqlstate(), sqlstate) << e.what();
    EXPECT_EQ(e.statement(), statement);
    const std::string what = e.what();
    EXPECT_FALSE(what.empty());
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    EXPECT_NE(e.full_message().find(e.info().message), std::string::npos) << e.full_message();
    return e.info();
  } catch (const pgfast::DatabaseError& e) {
    ADD_FAILURE() << "expected " << typeid(E).name() << ", got " << typeid(e).name() << " "
                  << e.sqlstate() << ": " << e.what();
  }
  return std::nullopt;
}

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

TEST_F(DatabaseErrors, QueryCanceledByStatementTimeout) {
  pgfast::PooledConnection lease = db_.acquire();
  lease->execute("SET statement_timeout = '10ms'");
  const std::string sql = "SELECT pg_sleep(5)";
  expect_error<pgfast::QueryCanceledError>([&] { lease->execute(sql); }, "57014", sql);
  EXPECT_THROW(lease->execute(sql), pgfast::OperatorInterventionError);
  lease->execute("RESET statement_timeout");
  EXPECT_TRUE(lease->usable());
}

TEST_F(DatabaseErrors, BadParameterTextIsInvalidTextRepresentation) {
  const std::string sql = "SELECT $1::int";
  expect_error<pgfast::InvalidTextRepresentationError>(
      [&] { db_.query(sql, params("not a number")); }, "22P02", sql);
  EXPECT_THROW(db_.query(sql, params("not a number")), pgfast::DataError);
}

TEST_F(DatabaseErrors, NumericValueOutOfRange) {
  const std::string sql = "SELECT $1::int";
  expect_error<pgfast::NumericValueOutOfRangeError>([&] { db_.query(sql, params("99999999999")); },
                                                    "22003", sql);
  const std::string overflow = "SELECT 2147483647::int + 1";
  expect_error<pgfast::NumericValueOutOfRangeError>([&] { db_.query(overflow); }, "22003",
                                                    overflow);
}

TEST_F(DatabaseErrors, UniqueViolation) {
  pgfast_test::ScratchTable table(db_, "id int PRIMARY KEY");
  db_.query("INSERT INTO " + table.name() + " VALUES (1)");
  const std::string sql = "INSERT INTO " + table.name() + " VALUES ($1)";
  const auto info =
      expect_error<pgfast::UniqueViolationError>([&] { db_.query(sql, params(1)); }, "23505", sql);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->detail, "Key (id)=(1) already exists.");
  EXPECT_NE(info->full_message.find("\nDETAIL:  Key (id)=(1) already exists."), std::string::npos)
      << info->full_message;
  // Code written against the class level still catches it.
  try {
    db_.query(sql, params(1));
    FAIL() << "no exception";
  } catch (const pgfast::IntegrityError& e) {
    EXPECT_EQ(e.sqlstate(), "23505");
  }
  EXPECT_EQ(table.count(), 1);
}

TEST_F(DatabaseErrors, ForeignKeyViolation) {
  pgfast_test::ScratchTable parent(db_, "id int PRIMARY KEY");
  pgfast_test::ScratchTable child(db_, "parent_id int REFERENCES " + parent.name());
  const std::string sql = "INSERT INTO " + child.name() + " VALUES ($1)";
  const auto info = expect_error<pgfast::ForeignKeyViolationError>(
      [&] { db_.query(sql, params(7)); }, "23503", sql);
  ASSERT_TRUE(info);
  EXPECT_NE(info->detail.find("(parent_id)=(7)"), std::string::npos) << info->detail;
}

TEST_F(DatabaseErrors, NotNullViolation) {
  pgfast_test::ScratchTable table(db_, "id int NOT NULL");
  const std::string sql = "INSERT INTO " + table.name() + " VALUES (NULL)";
  expect_error<pgfast::NotNullViolationError>([&] { db_.query(sql); }, "23502", sql);
}

TEST_F(DatabaseErrors, CheckViolation) {
  pgfast_test::ScratchTable table(db_, "v int CHECK (v > 0)");
  const std::string sql = "INSERT INTO " + table.name() + " VALUES ($1)";
  expect_error<pgfast::CheckViolationError>([&] { db_.query(sql, params(-1)); }, "23514", sql);
}

TEST_F(DatabaseErrors, ExclusionViolation) {
  pgfast_test::ScratchTable table(db_, "r int4range, EXCLUDE USING gist (r WITH &&)");
  db_.query("INSERT INTO " + table.name() + " VALUES ('[1,10)')");
  const std::string sql = "INSERT INTO " + table.name() + " VALUES ('[5,20)')";
  expect_error<pgfast::ExclusionViolationError>([&] { db_.query(sql); }, "23P01", sql);
}

TEST_F(DatabaseErrors, UndefinedTableAndColumn) {
  const std::string table_sql = "SELECT * FROM missing_table_xyz";
  expect_error<pgfast::UndefinedTableError>([&] { db_.query(table_sql); }, "42P01", table_sql);
  const std::string column_sql = "SELECT missing_column_xyz FROM pg_class";
  const auto info = expect_error<pgfast::UndefinedColumnError>([&] { db_.query(column_sql); },
                                                               "42703", column_sql);
  ASSERT_TRUE(info);
  EXPECT_NE(info->message.find("missing_column_xyz"), std::string::npos) << info->message;
}

TEST_F(DatabaseErrors, ReadOnlySqlTransaction) {
  pgfast_test::ScratchTable table(db_, "id int");
  const std::string sql = "INSERT INTO " + table.name() + " VALUES (1)";
  pgfast::TransactionOptions read_only;
  read_only.read_only = true;
  expect_error<pgfast::ReadOnlySqlTransactionError>(
      [&] { db_.transaction([&](Connection& c) { c.execute(sql); }, read_only); }, "25006", sql);
  EXPECT_EQ(table.count(), 0);
}

TEST_F(DatabaseErrors, LockNotAvailableWithNowait) {
  pgfast_test::ScratchTable table(db_, "id int PRIMARY KEY");
  db_.query("INSERT INTO " + table.name() + " VALUES (1)");
  pgfast::PooledConnection holder = db_.acquire();
  pgfast::Transaction tx(holder);
  holder->execute("SELECT id FROM " + table.name() + " WHERE id = 1 FOR UPDATE");
  const std::string sql = "SELECT id FROM " + table.name() + " WHERE id = 1 FOR UPDATE NOWAIT";
  expect_error<pgfast::LockNotAvailableError>([&] { db_.query(sql); }, "55P03", sql);
}

TEST_F(DatabaseErrors, InsufficientPrivilegeForASecondRole) {
  pgfast_test::ScratchTable table(db_, "id int");
  const std::string role = unique_name("pgfast_errors_role");
  db_.query("CREATE ROLE " + role + " NOLOGIN");
  const std::string sql = "SELECT * FROM " + table.name();
  expect_error<pgfast::InsufficientPrivilegeError>(
      [&] {
        db_.transaction([&](Connection& c) {
          c.execute("SET LOCAL ROLE " + role);
          c.execute(sql);
        });
      },
      "42501", sql);
  db_.query("DROP ROLE " + role);
}

// Two connections at SERIALIZABLE: the first read a row that the second then changed, so the
// first's update of it cannot be serialized.
TEST_F(DatabaseErrors, SerializationFailure) {
  pgfast_test::ScratchTable table(db_, "id int PRIMARY KEY, v int");
  db_.query("INSERT INTO " + table.name() + " VALUES (1, 0)");
  pgfast::PooledConnection first = db_.acquire();
  pgfast::PooledConnection second = db_.acquire();
  pgfast::TransactionOptions serializable;
  serializable.isolation = pgfast::IsolationLevel::serializable;
  pgfast::Transaction tx(first, serializable);
  first->execute("SELECT v FROM " + table.name() + " WHERE id = 1");
  second->execute("UPDATE " + table.name() + " SET v = v + 1 WHERE id = 1");
  const std::string sql = "UPDATE " + table.name() + " SET v = v + 10 WHERE id = 1";
  expect_error<pgfast::SerializationFailureError>([&] { first->execute(sql); }, "40001", sql);
}

// Two connections each hold a row lock the other then asks for: the server aborts one of them.
TEST_F(DatabaseErrors, DeadlockDetected) {
  pgfast_test::ScratchTable table(db_, "id int PRIMARY KEY");
  db_.query("INSERT INTO " + table.name() + " VALUES (1), (2)");
  Connection a(pgfast_test::database_url());
  Connection b(pgfast_test::database_url());
  Connection observer(pgfast_test::database_url());
  const std::string lock1 = "SELECT id FROM " + table.name() + " WHERE id = 1 FOR UPDATE";
  const std::string lock2 = "SELECT id FROM " + table.name() + " WHERE id = 2 FOR UPDATE";
  pgfast::Transaction ta(a);
  pgfast::Transaction tb(b);
  a.execute(lock1);
  b.execute(lock2);
  std::optional<DatabaseErrorInfo> a_error;
  bool a_failed = false;
  std::thread waiter([&] {
    try {
      a.execute(lock2);  // waits for b
    } catch (const pgfast::DeadlockDetectedError& e) {
      a_failed = true;
      a_error = e.info();
      ta.rollback();  // lets b go on
    }
  });
  // b asks for row 1 only once a is waiting for row 2, so the cycle is certain.
  ASSERT_TRUE(pgfast_test::eventually([&] {
    return observer
               .execute(
                   "SELECT count(*) FROM pg_stat_activity WHERE pid = $1 AND "
                   "wait_event_type = 'Lock'",
                   params(a.backend_pid()))
               .as<long>(0, 0) == 1;
  }));
  b.execute("SET deadlock_timeout = '50ms'");  // b runs the check first and is the victim
  std::optional<DatabaseErrorInfo> b_error;
  try {
    b.execute(lock1);
  } catch (const pgfast::DeadlockDetectedError& e) {
    b_error = e.info();
  }
  if (b_error) tb.rollback();  // lets a go on
  waiter.join();
  ASSERT_NE(a_failed, b_error.has_value()) << "exactly one of the two is aborted";
  const DatabaseErrorInfo& info = b_error ? *b_error : *a_error;
  EXPECT_EQ(info.sqlstate, "40P01");
  EXPECT_EQ(info.statement, b_error ? lock1 : lock2);
  EXPECT_EQ(std::string(info.message).find('\n'), std::string::npos);
  EXPECT_NE(info.detail.find("blocked by process"), std::string::npos) << info.detail;
}

TEST_F(DatabaseErrors, StatementIsAttachedForPreparedAndScriptCalls) {
  const std::string prepared = "SELECT 1 / $1::int";
  expect_error<pgfast::DataError>([&] { db_.execute_prepared(prepared, params(0)); }, "22012",
                                  prepared);
  pgfast::PooledConnection lease = db_.acquire();
  const std::string script = "SELECT 1; SELECT * FROM missing_table_xyz; SELECT 2";
  expect_error<pgfast::UndefinedTableError>([&] { lease->execute_script(script); }, "42P01",
                                            script);
  // A statement that fails to prepare (not to run) carries its text too.
  const std::string bad = "SELECT * FROM missing_table_xyz WHERE id = $1";
  expect_error<pgfast::UndefinedTableError>([&] { lease->execute_prepared(bad, params(1)); },
                                            "42P01", bad);
}

TEST_F(DatabaseErrors, ContextAndFullMessageOfAPlpgsqlError) {
  const std::string sql =
      "DO $$ BEGIN RAISE EXCEPTION 'custom failure' USING DETAIL = 'the detail', "
      "HINT = 'the hint'; END $$";
  const auto info = expect_error<pgfast::PlpgsqlError>([&] { db_.query(sql); }, "P0001", sql);
  ASSERT_TRUE(info);
  EXPECT_NE(info->context.find("PL/pgSQL function"), std::string::npos) << info->context;
  for (const char* part : {"custom failure", "DETAIL:  the detail", "HINT:  the hint",
                           "CONTEXT:  PL/pgSQL function"}) {
    EXPECT_NE(info->full_message.find(part), std::string::npos) << part << "\n"
                                                                << info->full_message;
  }
}

// A multi-line primary message (RAISE with a newline) still gives a one-line what().
TEST_F(DatabaseErrors, MultiLineServerMessageGivesOneLineWhat) {
  const std::string sql = "DO $$ BEGIN RAISE EXCEPTION E'first line\\nsecond line'; END $$";
  const auto info = expect_error<pgfast::PlpgsqlError>([&] { db_.query(sql); }, "P0001", sql);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->message, "first line\nsecond line");
  try {
    db_.query(sql);
  } catch (const pgfast::PlpgsqlError& e) {
    EXPECT_STREQ(e.what(), "first line; second line");
  }
}

// A terminated backend: libpq's message spans lines; what() does not, and the statement is kept.
TEST_F(DatabaseErrors, LostConnectionIsAConnectionErrorWithTheStatement) {
  Connection victim(pgfast_test::database_url());
  Connection killer(pgfast_test::database_url());
  ASSERT_TRUE(killer.execute("SELECT pg_terminate_backend($1, 10000)", params(victim.backend_pid()))
                  .as<bool>(0, 0));
  const std::string sql = "SELECT 1";
  const auto info =
      expect_error<pgfast::ConnectionError>([&] { victim.execute(sql); }, "08006", sql);
  ASSERT_TRUE(info);
  EXPECT_NE(info->full_message.find('\n'), std::string::npos)
      << "libpq's text is kept whole: " << info->full_message;
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

// Database::transaction_with_retry against real serialization failures.
class TransactionWithRetry : public DatabaseErrors {
 protected:
  TransactionWithRetry() : table_(db_, "id int PRIMARY KEY, v int") {
    db_.query("INSERT INTO " + table_.name() + " VALUES (1, 0)");
    serializable_.isolation = pgfast::IsolationLevel::serializable;
    fast_.base_backoff = std::chrono::milliseconds(1);
    fast_.max_backoff = std::chrono::milliseconds(5);
  }
  int value() {
    return db_.query("SELECT v FROM " + table_.name() + " WHERE id = 1").as<int>(0, 0);
  }
  // Reads the row in `c`'s serializable transaction, then (when `interfere`) has another
  // connection change it, so that c's own update fails with 40001.
  void read_then_update(Connection& c, bool interfere) {
    c.execute("SELECT v FROM " + table_.name() + " WHERE id = 1");
    if (interfere) other_.execute("UPDATE " + table_.name() + " SET v = v + 100 WHERE id = 1");
    c.execute("UPDATE " + table_.name() + " SET v = v + 1 WHERE id = 1");
  }

  pgfast_test::ScratchTable table_;
  Connection other_{pgfast_test::database_url()};
  pgfast::TransactionOptions serializable_;
  pgfast::RetryOptions fast_;
};

TEST_F(TransactionWithRetry, RetriesASerializationFailureUntilTheBodySucceeds) {
  int attempts = 0;
  const int result = db_.transaction_with_retry(
      [&](Connection& c) {
        ++attempts;
        read_then_update(c, /*interfere=*/attempts == 1);
        return attempts;
      },
      fast_, serializable_);
  EXPECT_EQ(attempts, 2);
  EXPECT_EQ(result, 2);
  EXPECT_EQ(value(), 101);  // the interfering update and one (the retried) increment
}

TEST_F(TransactionWithRetry, RethrowsTheLastErrorAfterMaxAttempts) {
  fast_.max_attempts = 3;
  int attempts = 0;
  EXPECT_THROW(db_.transaction_with_retry(
                   [&](Connection& c) {
                     ++attempts;
                     read_then_update(c, /*interfere=*/true);
                   },
                   fast_, serializable_),
               pgfast::SerializationFailureError);
  EXPECT_EQ(attempts, 3);
  EXPECT_EQ(value(), 300);  // only the interfering updates committed
}

TEST_F(TransactionWithRetry, RetriesADeadlock) {
  int attempts = 0;
  db_.transaction_with_retry(
      [&](Connection& c) {
        ++attempts;
        if (attempts == 1) {
          c.execute("DO $$ BEGIN RAISE EXCEPTION 'deadlock' USING ERRCODE = '40P01'; END $$");
        }
        c.execute("UPDATE " + table_.name() + " SET v = v + 1 WHERE id = 1");
      },
      fast_);
  EXPECT_EQ(attempts, 2);
  EXPECT_EQ(value(), 1);
}

TEST_F(TransactionWithRetry, DoesNotRetryOtherErrors) {
  int attempts = 0;
  EXPECT_THROW(db_.transaction_with_retry(
                   [&](Connection& c) {
                     ++attempts;
                     c.execute("UPDATE " + table_.name() + " SET v = v + 1 WHERE id = 1");
                     c.execute("INSERT INTO " + table_.name() + " VALUES (1, 0)");
                   },
                   fast_),
               pgfast::UniqueViolationError);
  EXPECT_EQ(attempts, 1);
  EXPECT_EQ(value(), 0);  // rolled back
  attempts = 0;
  EXPECT_THROW(db_.transaction_with_retry([&](Connection&) {
    ++attempts;
    throw std::runtime_error("application failure");
  }),
               std::runtime_error);
  EXPECT_EQ(attempts, 1);
}

TEST_F(TransactionWithRetry, BadOptionsRunNothing) {
  fast_.max_attempts = 0;
  int attempts = 0;
  EXPECT_THROW(db_.transaction_with_retry([&](Connection&) { ++attempts; }, fast_),
               pgfast::ConfigurationError);
  EXPECT_EQ(attempts, 0);
}

}  // namespace
