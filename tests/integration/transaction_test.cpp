// Transactions: Database::transaction(body) and the RAII pgfast::Transaction.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "pgfast/db/database.hpp"
#include "pgfast/errors.hpp"
#include "pgfast/db/transaction.hpp"
#include "test_env.hpp"

namespace {

using pgfast::Connection;
using pgfast::Database;
using pgfast::params;
using pgfast::Transaction;
using pgfast_test::pool_options;
using pgfast_test::ScratchTable;
using pgfast_test::unique_name;

class TransactionTest : public ::testing::Test {
 protected:
  TransactionTest()
      : db_(pool_options(unique_name("pgfast_tx"), 2, 0)),
        table_(db_, "id int PRIMARY KEY, v text") {}

  std::string insert_sql() const { return "INSERT INTO " + table_.name() + " VALUES ($1, $2)"; }

  Database db_;
  ScratchTable table_;
};

TEST_F(TransactionTest, BodyThatThrowsIsRolledBack) {
  EXPECT_THROW(db_.transaction([&](Connection& c) {
    c.execute(insert_sql(), params(1, "gone"));
    throw std::runtime_error("boom");
  }),
               std::runtime_error);
  EXPECT_EQ(table_.count(), 0);
  EXPECT_EQ(db_.stats().in_use, 0u);
  // The connection went back clean.
  EXPECT_EQ(db_.acquire()->transaction_status(), pgfast::TransactionStatus::idle);
}

TEST_F(TransactionTest, BodyThatReturnsIsCommittedAndItsValueReturned) {
  const long inserted = db_.transaction([&](Connection& c) {
    c.execute(insert_sql(), params(1, "a"));
    c.execute(insert_sql(), params(2, "b"));
    return static_cast<long>(c.execute("SELECT count(*) FROM " + table_.name()).as<long>(0, 0));
  });
  EXPECT_EQ(inserted, 2);
  EXPECT_EQ(table_.count(), 2);
}

TEST_F(TransactionTest, DatabaseErrorInBodyRollsBackAndPropagates) {
  db_.query(insert_sql(), params(1, "kept"));
  EXPECT_THROW(db_.transaction([&](Connection& c) {
    c.execute(insert_sql(), params(2, "gone"));
    c.execute(insert_sql(), params(1, "duplicate"));
  }),
               pgfast::IntegrityError);
  EXPECT_EQ(table_.count(), 1);
}

TEST_F(TransactionTest, RaiiTransactionWithoutCommitRollsBack) {
  {
    pgfast::PooledConnection lease = db_.acquire();
    Transaction tx(lease);
    EXPECT_TRUE(tx.active());
    tx->execute(insert_sql(), params(1, "gone"));
    EXPECT_EQ(lease->transaction_status(), pgfast::TransactionStatus::in_transaction);
  }
  EXPECT_EQ(table_.count(), 0);
}

TEST_F(TransactionTest, RaiiTransactionCommitPersists) {
  pgfast::PooledConnection lease = db_.acquire();
  {
    Transaction tx(*lease);
    lease->execute(insert_sql(), params(1, "kept"));
    tx.commit();
    EXPECT_FALSE(tx.active());
  }
  EXPECT_EQ(lease->transaction_status(), pgfast::TransactionStatus::idle);
  EXPECT_EQ(table_.count(), 1);
}

TEST_F(TransactionTest, ExplicitRollback) {
  pgfast::PooledConnection lease = db_.acquire();
  Transaction tx(lease);
  lease->execute(insert_sql(), params(1, "gone"));
  tx.rollback();
  EXPECT_FALSE(tx.active());
  EXPECT_EQ(table_.count(), 0);
  EXPECT_THROW(tx.commit(), pgfast::InvalidTransactionStateError);
}

TEST_F(TransactionTest, CommittingAFailedTransactionThrowsAndPersistsNothing) {
  pgfast::PooledConnection lease = db_.acquire();
  Transaction tx(lease);
  lease->execute(insert_sql(), params(1, "gone"));
  EXPECT_THROW(lease->execute("SELECT 1/0"), pgfast::DataError);
  try {
    tx.commit();
    FAIL() << "commit of a failed transaction succeeded";
  } catch (const pgfast::InvalidTransactionStateError& e) {
    EXPECT_EQ(e.sqlstate(), "25P02");
  }
  EXPECT_EQ(lease->transaction_status(), pgfast::TransactionStatus::idle);
  EXPECT_EQ(table_.count(), 0);
}

TEST_F(TransactionTest, IsolationLevelAndReadOnly) {
  pgfast::TransactionOptions options;
  options.isolation = pgfast::IsolationLevel::serializable;
  options.read_only = true;
  EXPECT_EQ(Transaction::begin_statement(options), "BEGIN ISOLATION LEVEL SERIALIZABLE READ ONLY");
  const std::string isolation = db_.transaction(
      [&](Connection& c) {
        EXPECT_EQ(c.execute("SHOW transaction_read_only").get(0, 0), "on");
        return std::string(c.execute("SHOW transaction_isolation").get(0, 0));
      },
      options);
  EXPECT_EQ(isolation, "serializable");

  // A write in a read-only transaction fails with 25006; the swallowed failure still prevents
  // the commit.
  EXPECT_THROW(db_.transaction(
                   [&](Connection& c) {
                     try {
                       c.execute(insert_sql(), params(1, "x"));
                       ADD_FAILURE() << "insert in a read-only transaction succeeded";
                     } catch (const pgfast::InvalidTransactionStateError& e) {
                       EXPECT_EQ(e.sqlstate(), "25006");
                     }
                   },
                   options),
               pgfast::InvalidTransactionStateError);
  EXPECT_EQ(table_.count(), 0);
}

TEST_F(TransactionTest, NestedBeginIsRefused) {
  pgfast::PooledConnection lease = db_.acquire();
  Transaction outer(lease);
  try {
    Transaction inner(lease);
    FAIL() << "nested transaction began";
  } catch (const pgfast::InvalidTransactionStateError& e) {
    EXPECT_EQ(e.sqlstate(), "25001");
  }
  EXPECT_TRUE(outer.active());
  outer.commit();
}

}  // namespace
