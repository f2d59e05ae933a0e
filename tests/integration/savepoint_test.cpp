// pgfast::Savepoint inside real transactions: release keeps, rollback/destruction undoes, nesting,
// and an error inside a rolled-back savepoint leaves the outer transaction usable.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "pgfast/db/database.hpp"
#include "pgfast/errors.hpp"
#include "pgfast/db/savepoint.hpp"
#include "pgfast/db/transaction.hpp"
#include "test_env.hpp"

namespace {

using pgfast::params;
using pgfast::Savepoint;
using pgfast::Transaction;
using pgfast::TransactionStatus;

class SavepointTest : public ::testing::Test {
 protected:
  SavepointTest()
      : db_(pgfast_test::pool_options(pgfast_test::unique_name("pgfast_sp"), 2, 0)),
        table_(db_, "id int PRIMARY KEY"),
        lease_(db_.acquire()) {}

  void insert(int id) {
    lease_->execute("INSERT INTO " + table_.name() + " VALUES ($1)", params(id));
  }
  long rows_seen() {
    return lease_->execute("SELECT count(*) FROM " + table_.name()).as<long>(0, 0);
  }

  pgfast::Database db_;
  pgfast_test::ScratchTable table_;
  pgfast::PooledConnection lease_;
};

TEST_F(SavepointTest, ReleaseKeepsAndDestructionUndoes) {
  Transaction tx(lease_);
  insert(1);
  {
    Savepoint kept(tx);
    insert(2);
    kept.release();
    EXPECT_FALSE(kept.active());
  }
  {
    Savepoint undone(*lease_);
    EXPECT_TRUE(undone.active());
    insert(3);
    EXPECT_EQ(rows_seen(), 3);
  }
  EXPECT_EQ(rows_seen(), 2);
  tx.commit();
  EXPECT_EQ(table_.count(), 2);
}

TEST_F(SavepointTest, ErrorInsideRolledBackSavepointLeavesTransactionUsable) {
  Transaction tx(lease_);
  insert(1);
  try {
    Savepoint sp(tx);
    insert(2);
    insert(1);  // duplicate key: the transaction is now in error...
    FAIL() << "duplicate accepted";
  } catch (const pgfast::IntegrityError&) {
  }
  // ...until the savepoint's destructor rolled back to it.
  EXPECT_EQ(lease_->transaction_status(), TransactionStatus::in_transaction);
  insert(3);
  EXPECT_NO_THROW(tx.commit());
  EXPECT_EQ(table_.count(), 2);  // 1 and 3
}

TEST_F(SavepointTest, NestedSavepoints) {
  Transaction tx(lease_);
  {
    Savepoint outer(tx);
    insert(1);
    {
      Savepoint inner(tx);
      EXPECT_NE(inner.name(), outer.name());
      insert(2);
    }  // inner rolled back
    {
      Savepoint inner(tx);
      insert(3);
      inner.release();
    }
    EXPECT_EQ(rows_seen(), 2);
    outer.release();
  }
  {
    Savepoint outer(tx);
    insert(4);
    {
      Savepoint inner(tx);
      insert(5);
      inner.release();
    }
    outer.rollback();  // undoes 4 and the released 5
    EXPECT_FALSE(outer.active());
  }
  tx.commit();
  EXPECT_EQ(table_.count(), 2);  // 1 and 3
}

TEST_F(SavepointTest, WithSavepointHelper) {
  Transaction tx(lease_);
  const int value = pgfast::with_savepoint(*lease_, [&] {
    insert(1);
    return 42;
  });
  EXPECT_EQ(value, 42);
  EXPECT_THROW(pgfast::with_savepoint(*lease_,
                                      [&] {
                                        insert(2);
                                        throw std::runtime_error("undo");
                                      }),
               std::runtime_error);
  tx.commit();
  EXPECT_EQ(table_.count(), 1);
}

TEST_F(SavepointTest, OutsideATransactionIsAUsageErrorAndSendsNothing) {
  EXPECT_THROW(Savepoint sp(*lease_), pgfast::UsageError);
  EXPECT_EQ(lease_->transaction_status(), TransactionStatus::idle);
}

TEST_F(SavepointTest, ReleaseTwiceIsAUsageError) {
  Transaction tx(lease_);
  Savepoint sp(tx);
  sp.release();
  EXPECT_THROW(sp.release(), pgfast::UsageError);
  EXPECT_NO_THROW(sp.rollback());  // no longer active: nothing to do
  tx.commit();
}

TEST_F(SavepointTest, OutlivedTransactionDestructsQuietly) {
  {
    Transaction tx(lease_);
    Savepoint sp(tx);
    insert(1);
    tx.commit();  // the savepoint ends with the transaction
  }               // ~Savepoint sends nothing (the connection is idle)
  EXPECT_EQ(lease_->transaction_status(), TransactionStatus::idle);
  EXPECT_EQ(table_.count(), 1);
}

}  // namespace
