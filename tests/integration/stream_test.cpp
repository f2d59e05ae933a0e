// Connection::stream (libpq single-row mode) against the real server: rows delivered one by one,
// memory bounded by one row (measured with mallinfo2), the connection usable after a callback that
// throws and after an error mid-stream.
#include <gtest/gtest.h>
#include <malloc.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "pgfast/db/connection.hpp"
#include "pgfast/db/database.hpp"
#include "pgfast/errors.hpp"
#include "pgfast/db/row_stream.hpp"
#include "pgfast/db/savepoint.hpp"
#include "pgfast/db/transaction.hpp"
#include "test_env.hpp"

namespace {

using pgfast::Row;

class StreamTest : public ::testing::Test {
 protected:
  StreamTest() : conn_(pgfast_test::database_url()) {}
  pgfast::Connection conn_;
};

// Bytes the allocator has handed out and not yet been given back.
std::size_t heap_in_use() {
  return mallinfo2().uordblks;
}

TEST_F(StreamTest, DeliversRowsInOrderWithParameters) {
  std::vector<int> seen;
  const std::uint64_t n = conn_.stream(
      "SELECT g, 'row ' || g AS label FROM generate_series(1, $1::int) g", pgfast::params(5),
      [&](const Row& row) {
        EXPECT_EQ(row["label"].as<std::string>(), "row " + std::to_string(row[0].as<int>()));
        seen.push_back(row["g"].as<int>());
      });
  EXPECT_EQ(n, 5u);
  EXPECT_EQ(seen, (std::vector<int>{1, 2, 3, 4, 5}));
  // Zero rows and a statement without rows.
  EXPECT_EQ(conn_.stream("SELECT 1 WHERE false", [](const Row&) { FAIL(); }), 0u);
  EXPECT_EQ(conn_.stream("SET application_name = 'streamed'", [](const Row&) { FAIL(); }), 0u);
}

TEST_F(StreamTest, MillionRowsInBoundedMemory) {
  const std::string sql = "SELECT g FROM generate_series(1, 1000000) g";
  // Streaming: the heap holds one row's result at a time (sampled every 16th row: mallinfo2
  // walks the allocator's bins).
  const std::size_t stream_base = heap_in_use();
  std::size_t stream_peak = stream_base;
  std::int64_t sum = 0;
  std::uint64_t calls = 0;
  const std::uint64_t n = conn_.stream(sql, [&](const Row& row) {
    sum += row[0].as<std::int64_t>();
    if (calls++ % 16 == 0) stream_peak = std::max(stream_peak, heap_in_use());
  });
  EXPECT_EQ(n, 1000000u);
  EXPECT_EQ(sum, 500000500000LL);
  const std::size_t streamed = stream_peak - stream_base;

  // The same query materialised as one Result.
  const std::size_t result_base = heap_in_use();
  std::size_t materialised = 0;
  {
    const pgfast::Result all = conn_.execute(sql);
    ASSERT_EQ(all.rows(), 1000000);
    materialised = heap_in_use() - result_base;
  }
  RecordProperty("streamed_peak_bytes", std::to_string(streamed));
  RecordProperty("materialised_bytes", std::to_string(materialised));
  EXPECT_LT(streamed, 4u << 20) << "streaming kept " << streamed << " bytes";
  EXPECT_GT(materialised, 16u << 20) << "the materialised result took " << materialised;
  EXPECT_GT(materialised, 10 * std::max<std::size_t>(streamed, 1))
      << "streamed " << streamed << " vs materialised " << materialised;
}

TEST_F(StreamTest, CallbackThatThrowsCancelsAndLeavesTheConnectionUsable) {
  int calls = 0;
  // generate_series in the select list produces rows as they are sent (in FROM it would be
  // materialised first): without the cancel, draining would read all 100M of them.
  EXPECT_THROW(conn_.stream("SELECT generate_series(1, 100000000)",
                            [&](const Row&) {
                              if (++calls == 3) throw std::runtime_error("stop here");
                            }),
               std::runtime_error);
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(conn_.transaction_status(), pgfast::TransactionStatus::idle);
  EXPECT_EQ(conn_.execute("SELECT 41 + 1").as<int>(0, 0), 42);
  EXPECT_TRUE(conn_.ping());
}

TEST_F(StreamTest, ErrorMidStreamRaisesTheDatabaseErrorAfterEarlierRows) {
  std::vector<int> seen;
  try {
    // Division by zero at the fourth row: the first three were already sent.
    conn_.stream("SELECT 10 / (4 - g) FROM generate_series(1, 10) g",
                 [&](const Row& row) { seen.push_back(row[0].as<int>()); });
    FAIL() << "no error";
  } catch (const pgfast::DataError& e) {
    EXPECT_EQ(e.sqlstate(), "22012");
    EXPECT_EQ(e.statement(), "SELECT 10 / (4 - g) FROM generate_series(1, 10) g");
  }
  EXPECT_EQ(seen, (std::vector<int>{3, 5, 10}));
  EXPECT_EQ(conn_.execute("SELECT 1").as<int>(0, 0), 1);
}

TEST_F(StreamTest, SyntaxErrorAndUseInsideATransaction) {
  EXPECT_THROW(conn_.stream("SELEC 1", [](const Row&) {}), pgfast::SyntaxOrAccessError);
  pgfast::Transaction tx(conn_);
  int n = 0;
  conn_.stream("SELECT g FROM generate_series(1, 3) g", [&](const Row&) { ++n; });
  EXPECT_EQ(n, 3);
  EXPECT_EQ(conn_.transaction_status(), pgfast::TransactionStatus::in_transaction);
  tx.commit();
}

// Not a ClientError: nothing the library throws can be mistaken for it.
struct Stop {};

TEST_F(StreamTest, CallbackThatThrowsInsideASavepointKeepsTheTransaction) {
  pgfast::Transaction tx(conn_);
  bool stopped = false;
  try {
    pgfast::Savepoint sp(tx);
    conn_.stream("SELECT generate_series(1, 100000000)", [](const Row&) { throw Stop{}; });
  } catch (const Stop&) {
    stopped = true;
  }
  EXPECT_TRUE(stopped);
  EXPECT_EQ(conn_.transaction_status(), pgfast::TransactionStatus::in_transaction);
  EXPECT_EQ(conn_.execute("SELECT 7").as<int>(0, 0), 7);
  tx.commit();
}

TEST(DatabaseStream, StreamsOnABorrowedConnectionAndGivesItBack) {
  pgfast::Database db(pgfast_test::pool_options(pgfast_test::unique_name("stream"), 1, 0));
  std::int64_t sum = 0;
  EXPECT_EQ(db.stream("SELECT g FROM generate_series(1, $1::int) g", pgfast::params(100),
                      [&](const Row& row) { sum += row[0].as<std::int64_t>(); }),
            100u);
  EXPECT_EQ(sum, 5050);
  EXPECT_EQ(db.stream("SELECT 1 UNION ALL SELECT 2", [](const Row&) {}), 2u);
  EXPECT_EQ(db.stats().in_use, 0u);
}

TEST_F(StreamTest, RowStreamRangeForAndLeavingEarly) {
  std::vector<int> seen;
  for (Row row :
       pgfast::RowStream(conn_, "SELECT g FROM generate_series(1, $1::int) g", pgfast::params(4))) {
    seen.push_back(row[0].as<int>());
  }
  EXPECT_EQ(seen, (std::vector<int>{1, 2, 3, 4}));
  {
    pgfast::RowStream rows(conn_, "SELECT generate_series(1, 100000000)");
    for (Row row : rows) {
      if (row[0].as<int>() == 3) break;  // the destructor cancels the other rows
    }
    EXPECT_EQ(rows.count(), 3u);
    EXPECT_FALSE(rows.finished());
  }
  EXPECT_EQ(conn_.transaction_status(), pgfast::TransactionStatus::idle);
  EXPECT_EQ(conn_.execute("SELECT 5").as<int>(0, 0), 5);
}

TEST_F(StreamTest, RowStreamErrors) {
  // Before the first row: the constructor throws.
  EXPECT_THROW(pgfast::RowStream(conn_, "SELECT 1 / 0"), pgfast::DataError);
  // Mid-stream: the increment that meets it.
  pgfast::RowStream rows(conn_, "SELECT 10 / (3 - g) FROM generate_series(1, 5) g");
  auto it = rows.begin();
  ASSERT_NE(it, rows.end());
  EXPECT_EQ((*it)[0].as<int>(), 5);
  ++it;
  EXPECT_EQ((*it)[0].as<int>(), 10);
  EXPECT_THROW(++it, pgfast::DataError);
  EXPECT_TRUE(rows.finished());
  EXPECT_EQ(it, rows.end());
  EXPECT_EQ(conn_.execute("SELECT 6").as<int>(0, 0), 6);
}

}  // namespace
