// pgfast.bulk_upsert under concurrency: 4 writers upsert overlapping key sets, each in its own
// random order, for 20 rounds of small calls and 4 rounds of large ones. Keys are applied in sorted
// order inside the extension, so no deadlock may occur, and after each round the table must equal
// the serial result.
#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "pgfast/db/database.hpp"
#include "pgfast/errors.hpp"
#include "test_env.hpp"

namespace {

// Reusable barrier for a fixed number of threads (C++17 has no std::barrier).
class RoundBarrier {
 public:
  explicit RoundBarrier(int parties) : parties_(parties) {}
  void arrive_and_wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    int generation = generation_;
    if (++arrived_ == parties_) {
      arrived_ = 0;
      ++generation_;
      cv_.notify_all();
      return;
    }
    cv_.wait(lock, [&] { return generation_ != generation; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  int parties_;
  int arrived_ = 0;
  int generation_ = 0;
};

// kWriters threads upsert kKeysPerCall of kKeys keys per call, each round in a new random order.
// With `from_stage`, each call is pgfast.bulk_upsert_from of a temporary table (LIKE the target:
// read in place, without a stage of pgfast's own) filled in the same transaction.
void run_overlapping_upserts(int kRounds, int kKeys, int kKeysPerCall, bool from_stage = false) {
  constexpr int kWriters = 4;
  pgfast::Database db(pgfast_test::pool_options(pgfast_test::unique_name("bulkconc"), kWriters, 0));
  const std::string table = pgfast_test::unique_name("bulk_conc");
  db.query("CREATE EXTENSION IF NOT EXISTS pgfast");
  db.query("CREATE TABLE " + table + " (id int PRIMARY KEY, v int NOT NULL, note text)");

  RoundBarrier barrier(kWriters + 1);
  std::mutex errors_mutex;
  std::vector<std::string> errors;
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      std::mt19937 rng(1000 + w);
      std::vector<int> keys(kKeys);
      for (int i = 0; i < kKeys; ++i) keys[i] = i + 1;
      for (int round = 1; round <= kRounds; ++round) {
        std::shuffle(keys.begin(), keys.end(), rng);
        std::string rows = "[";
        for (int i = 0; i < kKeysPerCall; ++i) {
          int k = keys[i];
          if (i) rows += ",";
          // Every writer writes the same value for a key in a round: the result is order-free.
          rows += "{\"id\": " + std::to_string(k) + ", \"v\": " + std::to_string(round * 1000 + k) +
                  ", \"note\": \"r" + std::to_string(round) + "\"}";
        }
        rows += "]";
        try {
          if (from_stage) {
            pgfast::PooledConnection lease = db.acquire();
            pgfast::Connection& c = *lease;
            c.execute("BEGIN");
            try {
              c.execute("CREATE TEMPORARY TABLE conc_stage (LIKE " + table + ") ON COMMIT DROP");
              c.execute("INSERT INTO conc_stage SELECT * FROM jsonb_populate_recordset(NULL::" +
                            table + ", $1::jsonb)",
                        pgfast::params(rows));
              c.execute("SELECT * FROM pgfast.bulk_upsert_from($1::regclass, 'conc_stage')",
                        pgfast::params(table));
              c.execute("COMMIT");
            } catch (...) {
              c.execute("ROLLBACK");
              throw;
            }
          } else {
            db.query("SELECT * FROM pgfast.bulk_upsert($1::regclass, $2::jsonb)",
                     pgfast::params(table, rows));
          }
        } catch (const pgfast::DatabaseError& e) {
          std::lock_guard<std::mutex> lock(errors_mutex);
          errors.push_back(e.sqlstate() + ": " + e.what());
        }
        barrier.arrive_and_wait();  // round done
        barrier.arrive_and_wait();  // checked
      }
    });
  }
  for (int round = 1; round <= kRounds; ++round) {
    barrier.arrive_and_wait();
    // Serial reference: whatever the order of the calls, every row holds the value its last
    // writing round gave it, and every key written this round carries this round's note.
    pgfast::Result wrong =
        db.query("SELECT count(*) FROM " + table + " WHERE v <> substr(note, 2)::int * 1000 + id");
    EXPECT_EQ(wrong.as<long>(0, 0), 0) << "round " << round;
    pgfast::Result written = db.query("SELECT count(*) FROM " + table + " WHERE note = $1",
                                      pgfast::params("r" + std::to_string(round)));
    EXPECT_GE(written.as<long>(0, 0), kKeysPerCall) << "round " << round;
    barrier.arrive_and_wait();
  }
  for (auto& t : writers) t.join();
  for (const std::string& e : errors) ADD_FAILURE() << e;
  EXPECT_TRUE(errors.empty()) << errors.size() << " calls failed (40P01 would be a deadlock)";
  pgfast::Result count = db.query("SELECT count(*) FROM " + table);
  EXPECT_LE(count.as<long>(0, 0), kKeys);
  EXPECT_GE(count.as<long>(0, 0), kKeysPerCall);
  db.query("DROP TABLE " + table);
}

TEST(BulkConcurrency, OverlappingUpsertsNeverDeadlockAndMatchSerialResult) {
  run_overlapping_upserts(20, 300, 200);
}

// Calls large enough (>= 10,000 existing rows) for the update to run as one merge-join UPDATE
// instead of a locking pass first.
TEST(BulkConcurrency, LargeOverlappingUpsertsNeverDeadlock) {
  run_overlapping_upserts(4, 24000, 16000);
}

// bulk_upsert_from reading a temporary table in place: one statement updates in key order (merge
// join) and inserts the new keys in key order.
TEST(BulkConcurrency, LargeOverlappingUpsertsFromTemporaryTablesNeverDeadlock) {
  run_overlapping_upserts(4, 24000, 16000, true);
}

}  // namespace
