// Read replicas in the client (issue #18) against a real primary + streaming hot standby, started
// by scripts/with-replica (DATABASE_URL names the primary, DATABASE_REPLICA_URL the standby,
// PGFAST_REPLICA_DATA its data directory). Each case runs in a pair of its own (ctest
// integration.replica.<case>): some stop, kill or pause the standby.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <optional>
#include <thread>
#include <string>
#include <utility>
#include <vector>

#include "pgfast/cache/cache.hpp"
#include "pgfast/db/database.hpp"
#include "pgfast/errors.hpp"
#include "pgfast/redis/redis.hpp"
#include "pgfast/settings.hpp"
#include "test_env.hpp"

namespace {

using namespace std::chrono_literals;
using pgfast::CommitPosition;
using pgfast::Connection;
using pgfast::Database;
using pgfast::ReadOptions;
using pgfast::ServerState;
using pgfast::ServerStats;
using pgfast_test::eventually;

std::string env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') {
    const std::string message = std::string(name) +
                                " is not set: run this test through scripts/with-replica (ctest "
                                "integration.replica.<case>)";
    ADD_FAILURE() << message;
    throw std::runtime_error(message);
  }
  return value;
}

std::string replica_url() {
  return env("DATABASE_REPLICA_URL");
}

// Fast checks and retries, so the cases see state changes within a few polls.
pgfast::DatabaseOptions replica_options() {
  pgfast::DatabaseOptions o;
  o.url = pgfast_test::database_url();
  o.replica_urls = {replica_url()};
  o.pool_size = 4;
  o.max_overflow = 0;
  o.replica_check_interval = 20ms;
  o.replica_retry_after = 100ms;
  o.application_name = pgfast_test::unique_name("pgfast_replica");
  return o;
}

bool in_recovery(Connection& c) {
  return c.execute("SELECT pg_is_in_recovery()").as<bool>(0, 0);
}

// Where a read lands: true on the standby.
bool read_on_replica(Database& db, const ReadOptions& options = {}) {
  return db.read([](Connection& c) { return in_recovery(c); }, options);
}

ServerStats replica_stats(const Database& db) {
  const auto servers = db.server_stats();
  EXPECT_EQ(servers.size(), 2u);
  return servers.at(1);
}

// Until the standby has replayed everything the primary committed so far (polled).
void await_replayed(Database& db) {
  const CommitPosition position = db.commit_position();
  Connection replica(replica_url());
  ASSERT_TRUE(eventually(
      [&] {
        return replica
            .execute("SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn",
                     pgfast::params(position.to_string()))
            .as<bool>(0, 0);
      },
      60s))
      << "the standby did not replay up to " << position.to_string();
}

// pg_wal_replay_pause() on the standby for the guard's life.
class ReplayPaused {
 public:
  ReplayPaused() : replica_(replica_url()) { replica_.execute("SELECT pg_wal_replay_pause()"); }
  ~ReplayPaused() {
    try {
      resume();
    } catch (...) {
    }
  }
  void resume() {
    if (paused_) replica_.execute("SELECT pg_wal_replay_resume()");
    paused_ = false;
  }

 private:
  Connection replica_;
  bool paused_ = true;
};

// A shell command as the standby's owner (PostgreSQL refuses to run as root).
void as_postgres(const std::string& command) {
  const std::string full =
      (::geteuid() == 0 ? "runuser -u postgres -- bash -c '" : "bash -c '") + command + "'";
  ASSERT_EQ(std::system(full.c_str()), 0) << full;
}

void start_replica() {
  as_postgres(
      "\"$PGFAST_PG_BIN/pg_ctl\" -D \"$PGFAST_REPLICA_DATA\" -l \"$PGFAST_REPLICA_LOG\" -w "
      "-t 120 start >/dev/null");
}

TEST(ReadReplica, ReadsLandOnTheReplicaEverythingElseOnThePrimary) {
  Database db(replica_options());
  db.query("CREATE EXTENSION IF NOT EXISTS pgfast");
  db.query("CREATE TABLE notes (id int PRIMARY KEY, body text)");
  db.query("INSERT INTO notes VALUES (1, 'one')");
  await_replayed(db);

  // The first read runs the first check itself: it already goes to the standby.
  EXPECT_TRUE(read_on_replica(db));
  EXPECT_EQ(db.read_query("SELECT body FROM notes WHERE id = $1 AND pg_is_in_recovery()",
                          pgfast::params(1))
                .get(0, 0),
            "one");
  {
    pgfast::PooledConnection lease = db.acquire_read();
    EXPECT_TRUE(in_recovery(*lease));
  }
  // Unannotated calls and writes stay on the primary.
  EXPECT_FALSE(db.query("SELECT pg_is_in_recovery()").as<bool>(0, 0));
  EXPECT_FALSE(db.transaction([](Connection& c) { return in_recovery(c); }));
  {
    pgfast::PooledConnection lease = db.acquire();
    EXPECT_FALSE(in_recovery(*lease));
  }
  // A read-your-writes token comes from the primary only.
  {
    Connection replica(replica_url());
    EXPECT_THROW(pgfast::commit_position(replica), pgfast::UsageError);
    Connection primary(pgfast_test::database_url());
    EXPECT_LE(pgfast::commit_position(primary), db.commit_position());
    EXPECT_EQ(primary.execute("SELECT setting FROM pg_settings WHERE name = 'wal_segment_size'")
                  .get(0, 0),
              "16777216");  // bytes, as commit_position() reads it
  }
  // A write through the read API reaches the standby, which refuses it: the caller's error.
  EXPECT_THROW(db.read_query("INSERT INTO notes VALUES (2, 'two')"),
               pgfast::ReadOnlySqlTransactionError);

  const auto servers = db.server_stats();
  ASSERT_EQ(servers.size(), 2u);
  EXPECT_EQ(servers[0].role, pgfast::ServerRole::primary);
  EXPECT_EQ(servers[0].reads, 0u);
  EXPECT_EQ(servers[1].role, pgfast::ServerRole::replica);
  EXPECT_EQ(servers[1].name, "127.0.0.1:" + env("PGPORT_REPLICA"));
  EXPECT_EQ(servers[1].state, ServerState::available);
  EXPECT_EQ(servers[1].reads, 3u);  // the failed INSERT is not counted as served
  ASSERT_TRUE(servers[1].lag.has_value());
  EXPECT_LE(*servers[1].lag, db.options().max_replica_lag);
  EXPECT_TRUE(servers[1].replayed.has_value());
  EXPECT_GE(servers[1].pool.acquired_total, 4u);
  EXPECT_EQ(servers[1].pool.in_use, 0u);
}

TEST(ReadReplica, ChecksDoNotWaitForABusyPool) {
  // One primary connection, held by the caller: the checks that come due meanwhile skip sampling
  // the primary instead of waiting for it (here: an hour), and the reads go on on the replica.
  pgfast::DatabaseOptions options = replica_options();
  options.pool_size = 1;
  options.acquire_timeout = 1h;
  Database db(options);
  db.query("CREATE TABLE IF NOT EXISTS busy (id int)");
  await_replayed(db);
  ASSERT_TRUE(read_on_replica(db));
  pgfast::PooledConnection held = db.acquire();
  const auto until = std::chrono::steady_clock::now() + 5 * options.replica_check_interval;
  int reads = 0;
  while (std::chrono::steady_clock::now() < until || reads < 3) {
    ASSERT_TRUE(read_on_replica(db));
    ++reads;
    std::this_thread::sleep_for(5ms);  // pacing, so that several checks come due
  }
  EXPECT_EQ(db.server_stats()[0].pool.in_use, 1u);
  EXPECT_EQ(replica_stats(db).state, ServerState::available);
}

TEST(ReadReplica, CacheLoaderReadsThroughTheReplica) {
  Database db(replica_options());
  db.query("CREATE TABLE profiles (id int PRIMARY KEY, name text)");
  db.query("INSERT INTO profiles VALUES (7, 'ada')");
  await_replayed(db);
  const pgfast::Settings settings = pgfast::Settings::from_env();
  pgfast::Cache cache(pgfast::Redis(settings), pgfast::CacheOptions::from_settings(settings));
  const std::string key = pgfast_test::unique_name("profile");
  auto loader = [&]() -> std::optional<std::string> {
    return db.read([](Connection& c) {
      const pgfast::Result r = c.execute(
          "SELECT name || ' from ' || CASE WHEN pg_is_in_recovery() THEN 'replica' ELSE "
          "'primary' END FROM profiles WHERE id = 7");
      return std::string(r.get(0, 0));
    });
  };
  EXPECT_EQ(cache.cached_key(key, 60s, loader), "ada from replica");
  EXPECT_EQ(cache.cached_key(key, 60s, loader), "ada from replica");  // a hit: no second read
  EXPECT_EQ(replica_stats(db).reads, 1u);
  cache.del(key);
}

TEST(ReadReplica, LagAboveTheBoundMovesReadsToThePrimary) {
  pgfast::DatabaseOptions options = replica_options();
  options.max_replica_lag = 300ms;
  Database db(options);
  db.query("CREATE TABLE ticks (id serial PRIMARY KEY, at timestamptz DEFAULT now())");
  await_replayed(db);

  // An idle primary is no lag: reads over several times the bound without writes stay on the
  // standby, and its lag is within the bound at every check.
  const auto idle_until = std::chrono::steady_clock::now() + 4 * options.max_replica_lag;
  while (std::chrono::steady_clock::now() < idle_until) {
    ASSERT_TRUE(read_on_replica(db));
    const ServerStats s = replica_stats(db);
    ASSERT_EQ(s.state, ServerState::available);
    ASSERT_LE(s.lag.value_or(1h), options.max_replica_lag);
    std::this_thread::sleep_for(5ms);  // pacing the reads, not waiting for anything
  }

  ReplayPaused paused;
  // Writes keep the primary's WAL moving; reads drive the checks, until the client sees the lag.
  ASSERT_TRUE(eventually(
      [&] {
        db.query("INSERT INTO ticks DEFAULT VALUES");
        read_on_replica(db);
        const ServerStats s = replica_stats(db);
        return s.state == ServerState::lagging && s.lag && *s.lag > options.max_replica_lag;
      },
      60s))
      << "lag never rose above the bound";
  const std::uint64_t primary_reads = db.server_stats()[0].reads;
  EXPECT_FALSE(read_on_replica(db));
  EXPECT_FALSE(read_on_replica(db));
  EXPECT_EQ(db.server_stats()[0].reads, primary_reads + 2);
  // A read that accepts more lag may still use the standby.
  ReadOptions patient;
  patient.max_lag = 1h;
  EXPECT_TRUE(read_on_replica(db, patient));

  paused.resume();
  ASSERT_TRUE(eventually([&] { return read_on_replica(db); }, 60s))
      << "reads did not come back to the standby after replay resumed";
  EXPECT_EQ(replica_stats(db).state, ServerState::available);
}

TEST(ReadReplica, ReadYourWritesWhileReplayIsPaused) {
  pgfast::DatabaseOptions options = replica_options();
  options.max_replica_lag = 1h;  // the paused standby stays fit by lag: only the token decides
  Database db(options);
  db.query("CREATE TABLE orders (id int PRIMARY KEY)");
  await_replayed(db);
  EXPECT_TRUE(read_on_replica(db));

  ReplayPaused paused;
  db.transaction([](Connection& c) { c.execute("INSERT INTO orders VALUES (42)"); });
  const CommitPosition token = db.commit_position();
  auto mine = [&](const ReadOptions& o) {
    return db.read(
        [](Connection& c) {
          const pgfast::Result r =
              c.execute("SELECT pg_is_in_recovery(), count(*) FROM orders WHERE id = 42");
          return std::make_pair(r.as<bool>(0, 0), r.as<long>(0, 1));
        },
        o);
  };
  // Without the token the standby serves the read and has not got the row.
  EXPECT_EQ(mine({}), std::make_pair(true, 0L));
  // With it, the same caller's next read sees its write: the primary serves it.
  ReadOptions after;
  after.after = token;
  after.replay_wait = 50ms;
  EXPECT_EQ(mine(after), std::make_pair(false, 1L));
  // The token as text (e.g. kept in the user's session) does the same.
  after.after = CommitPosition::parse(token.to_string());
  EXPECT_EQ(mine(after), std::make_pair(false, 1L));
  // An older position the standby has replayed is served by the standby.
  after.after = CommitPosition(0);
  EXPECT_EQ(mine(after), std::make_pair(true, 0L));

  // Replay resumed: the read waits for the standby to pass the token and is served there.
  paused.resume();
  after.after = token;
  after.replay_wait = 60s;
  EXPECT_EQ(mine(after), std::make_pair(true, 1L));
  ASSERT_TRUE(replica_stats(db).replayed.has_value());
  EXPECT_GE(*replica_stats(db).replayed, token);
}

// Both a pool that pre-pings (finds the dead connection on borrow) and one that does not (loses
// it in the middle of the read, which then runs again on the primary).
void replica_down_then_back(const std::string& take_down) {
  pgfast::DatabaseOptions options = replica_options();
  Database pinging(options);
  options.pre_ping = false;
  Database trusting(options);
  pinging.query("CREATE TABLE IF NOT EXISTS marks (id int)");
  await_replayed(pinging);
  ASSERT_TRUE(read_on_replica(pinging));  // each pool now holds an idle standby connection
  ASSERT_TRUE(read_on_replica(trusting));

  as_postgres(take_down);
  for (Database* db : {&pinging, &trusting}) {
    for (int i = 0; i < 5; ++i) {
      bool on_replica = true;
      EXPECT_NO_THROW(on_replica = read_on_replica(*db));
      EXPECT_FALSE(on_replica);
      pgfast::PooledConnection lease;
      EXPECT_NO_THROW(lease = db->acquire_read());
      if (lease) {
        EXPECT_FALSE(in_recovery(*lease));
      }
    }
    const ServerStats s = replica_stats(*db);
    EXPECT_EQ(s.state, ServerState::down);
    EXPECT_GE(s.failures, 1u);
    EXPECT_FALSE(s.lag.has_value());
  }
  EXPECT_EQ(trusting.server_stats()[0].reads, 10u);

  start_replica();
  for (Database* db : {&pinging, &trusting}) {
    ASSERT_TRUE(eventually([&] { return read_on_replica(*db); }, 120s))
        << "the restarted standby was not used again";
    EXPECT_EQ(replica_stats(*db).state, ServerState::available);
  }
}

TEST(ReadReplica, StoppedReplicaIsSkippedThenUsedAgain) {
  replica_down_then_back(
      "\"$PGFAST_PG_BIN/pg_ctl\" -D \"$PGFAST_REPLICA_DATA\" -m fast -w stop >/dev/null");
}

TEST(ReadReplica, KilledReplicaIsSkippedThenUsedAgain) {
  // SIGKILL to the standby's postmaster and every process of it, then wait until they are gone.
  replica_down_then_back(
      "pm=$(head -1 \"$PGFAST_REPLICA_DATA/postmaster.pid\"); "
      "pids=\"$pm $(ps -o pid= --ppid \"$pm\" | tr -s \" \\n\" \" \")\"; kill -9 $pids; "
      "for p in $pids; do while kill -0 $p 2>/dev/null; do sleep 0.05; done; done");
}

TEST(ReadReplica, StaleConnectionsDoNotKeepARestartedReplicaDown) {
  // A pool that does not pre-ping keeps three idle standby connections across a restart: one read
  // meets the first (down, once); the check after the restart drops the other two and connects
  // afresh instead of counting them as new failures.
  pgfast::DatabaseOptions options = replica_options();
  options.pre_ping = false;
  options.replica_retry_after = 2s;  // no check of the stopped standby before it is back
  Database db(options);
  db.query("CREATE TABLE IF NOT EXISTS marks (id int)");
  await_replayed(db);
  {
    std::vector<pgfast::PooledConnection> leases;
    for (int i = 0; i < 3; ++i) leases.push_back(db.acquire_read());
    for (auto& lease : leases) ASSERT_TRUE(in_recovery(*lease));
  }
  ASSERT_EQ(replica_stats(db).pool.idle, 3u);
  as_postgres("\"$PGFAST_PG_BIN/pg_ctl\" -D \"$PGFAST_REPLICA_DATA\" -m fast -w stop >/dev/null");
  EXPECT_FALSE(read_on_replica(db));
  EXPECT_EQ(replica_stats(db).state, ServerState::down);
  start_replica();
  ASSERT_TRUE(eventually([&] { return read_on_replica(db); }, 120s));
  EXPECT_EQ(replica_stats(db).failures, 1u);
}

TEST(ReadReplica, PagesAndSearchesOnTheReplicaEqualThePrimarys) {
  Database db(replica_options());
  db.query("CREATE EXTENSION IF NOT EXISTS pgfast");
  db.query(
      "CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, kind text NOT NULL, "
      "body text NOT NULL)");
  db.query(
      "INSERT INTO items SELECT g, 'name ' || lpad((g * 7 % 60)::text, 2, '0'), "
      "CASE WHEN g % 3 = 0 THEN 'a' ELSE 'b' END, CASE WHEN g % 2 = 0 THEN 'the quick "
      "brown fox ' ELSE 'a lazy dog ' END || g FROM generate_series(1, 60) g");
  db.query("SELECT pgfast.fts_index('items', '{name, body}')");
  db.query("ANALYZE items");
  await_replayed(db);
  const ReadOptions on_replica;

  pgfast::PageRequest page;
  page.source = "items";
  page.order_by = "name, id";
  page.page_size = 7;
  page.filter = R"({"kind": "b"})";
  const pgfast::KeysetPage first = db.page(page);
  const pgfast::KeysetPage first_r = db.page(page, on_replica);
  EXPECT_EQ(first_r.items, first.items);
  EXPECT_EQ(first_r.has_next, first.has_next);
  ASSERT_EQ(first.items.size(), 7u);
  ASSERT_TRUE(first.next_cursor.has_value());
  // The primary's cursor on the standby, and the standby's on the primary.
  page.after = first.next_cursor;
  const pgfast::KeysetPage second = db.page(page);
  EXPECT_EQ(db.page(page, on_replica).items, second.items);
  page.after = first_r.next_cursor;
  EXPECT_EQ(db.page(page).items, second.items);
  EXPECT_NE(second.items, first.items);

  pgfast::OffsetPageRequest offset;
  offset.source = "items";
  offset.order_by = "name DESC, id";
  offset.page = 3;
  offset.per_page = 8;
  const pgfast::OffsetPage third = db.offset_page(offset);
  const pgfast::OffsetPage third_r = db.offset_page(offset, on_replica);
  EXPECT_EQ(third_r.items, third.items);
  EXPECT_EQ(third_r.total, third.total);
  EXPECT_EQ(third_r.pages, third.pages);
  EXPECT_EQ(third.items.size(), 8u);
  offset.filter = R"({"kind": "a"})";
  offset.count = pgfast::PageCount::none;
  EXPECT_EQ(db.offset_page(offset, on_replica).items, db.offset_page(offset).items);

  pgfast::FtsSearchRequest search;
  search.table = "items";
  search.query = "fox";
  search.page_size = 6;
  const pgfast::FtsPage hits = db.fts_search(search);
  const pgfast::FtsPage hits_r = db.fts_search(search, on_replica);
  ASSERT_EQ(hits.items.size(), 6u);
  ASSERT_EQ(hits_r.items.size(), hits.items.size());
  for (std::size_t i = 0; i < hits.items.size(); ++i) {
    EXPECT_EQ(hits_r.items[i].row, hits.items[i].row);
    EXPECT_EQ(hits_r.items[i].rank, hits.items[i].rank);
    EXPECT_EQ(hits_r.items[i].headline, hits.items[i].headline);
  }
  search.after = hits.next_cursor;
  const pgfast::FtsPage more = db.fts_search(search);
  const pgfast::FtsPage more_r = db.fts_search(search, on_replica);
  ASSERT_EQ(more_r.items.size(), more.items.size());
  for (std::size_t i = 0; i < more.items.size(); ++i) {
    EXPECT_EQ(more_r.items[i].row, more.items[i].row);
  }
  // Every call given ReadOptions was served by the standby.
  EXPECT_EQ(replica_stats(db).reads, 6u);
  EXPECT_EQ(db.server_stats()[0].reads, 0u);
}

}  // namespace
