// pgfast::Invalidator end to end: pgfast.notify_changes triggers in PostgreSQL → LISTEN → cache
// invalidation in Redis. Tests wait on the invalidator's events, never on sleeps. InvalidatorTest
// runs with the cache on a single server and on a Redis Cluster (redis_modes.hpp); the fault
// tests on a private server (stop, restart) stay single-node.
#include "pgfast/cache/invalidator.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <string>
#include <thread>

#include "pgbouncer.hpp"
#include "pgfast/testing/invalidator_access.hpp"
#include "redis_modes.hpp"
#include "redis_server.hpp"
#include "test_env.hpp"

using pgfast::Cache;
using pgfast::CachedOptions;
using pgfast::CacheOptions;
using pgfast::InvalidationEvent;
using pgfast::Invalidator;
using pgfast::InvalidatorOptions;
using pgfast::testing::InvalidatorAccess;
using pgfast_test::RedisMode;
using Clock = std::chrono::steady_clock;
using Kind = pgfast::InvalidationEvent::Kind;
using std::chrono::milliseconds;

namespace {

class InvalidatorTest : public ::testing::TestWithParam<RedisMode> {
 protected:
  void SetUp() override {
    db_ = std::make_unique<pgfast::Database>(pgfast_test::pool_options("inv_it", 2, 0));
    db_->query("CREATE EXTENSION IF NOT EXISTS pgfast");
    table_ = pgfast_test::unique_name("inv_items");
    channel_ = pgfast_test::unique_name("inv_channel");
    db_->query("CREATE TABLE " + table_ + " (id int PRIMARY KEY, name text)");
    db_->query("INSERT INTO " + table_ + " SELECT g, 'row ' || g FROM generate_series(1, 10) g");
    db_->query("SELECT pgfast.notify_changes($1, $2)", pgfast::params(table_, channel_));
    CacheOptions o;
    o.redis = pgfast_test::redis_mode_options(GetParam());
    o.key_prefix = pgfast_test::unique_name("inv_io") + ":";
    cache_ = std::make_unique<Cache>(o);
  }
  void TearDown() override {
    if (cache_) cache_->delete_pattern("*");
    if (db_) db_->query("DROP TABLE IF EXISTS " + table_);
  }

  InvalidatorOptions options() const {
    InvalidatorOptions o;
    o.database_url = pgfast_test::database_url();
    o.channel = channel_;
    return o;
  }

  // The row's name through the cache ("item:{id}", tagged "item-tag:{id}").
  std::optional<std::string> cached_name(int id) {
    CachedOptions tagged;
    tagged.tags = {"item-tag:{id}"};
    return cache_->cached(
        "item:{id}", {{"id", id}}, milliseconds(60000),
        [&]() -> std::optional<std::string> {
          ++loads_;
          auto r = db_->query("SELECT name FROM " + table_ + " WHERE id = $1", pgfast::params(id));
          if (r.rows() == 0) return std::nullopt;
          return std::string(r.get(0, 0));
        },
        tagged);
  }

  struct SlowLoad {
    std::optional<std::string> value;  // what the load returned
    bool invalidation_heard = false;
  };

  // Loads `key_template` for row `id` with a slow loader: it reads the row, then waits while the
  // row is updated and the invalidator processes that commit's notification.
  SlowLoad load_across_update(Invalidator& inv, const std::string& key_template, int id) {
    std::promise<void> read_done, invalidated;
    std::shared_future<void> invalidated_f = invalidated.get_future().share();
    SlowLoad out;
    std::thread reader([&] {
      out.value = cache_->cached(
          key_template, {{"id", id}}, milliseconds(60000), [&]() -> std::optional<std::string> {
            auto r =
                db_->query("SELECT name FROM " + table_ + " WHERE id = $1", pgfast::params(id));
            std::string name(r.get(0, 0));
            read_done.set_value();
            invalidated_f.wait();
            return name;
          });
    });
    read_done.get_future().wait();
    const auto before = inv.events();
    db_->query("UPDATE " + table_ + " SET name = 'changed' WHERE id = $1", pgfast::params(id));
    out.invalidation_heard =
        InvalidatorAccess::wait_for(inv, Kind::notification, before, milliseconds(5000))
            .has_value();
    invalidated.set_value();
    reader.join();
    return out;
  }

  std::unique_ptr<pgfast::Database> db_;
  std::unique_ptr<Cache> cache_;
  std::string table_, channel_;
  int loads_ = 0;
};

}  // namespace

INSTANTIATE_TEST_SUITE_P(, InvalidatorTest,
                         ::testing::Values(RedisMode::single, RedisMode::cluster),
                         pgfast_test::redis_mode_name);

TEST_P(InvalidatorTest, CommittedUpdateInvalidatesTheRowWithin100ms) {
  Invalidator inv(*cache_, options());
  inv.watch(table_, {"item:{id}"});
  inv.start();
  EXPECT_EQ(cached_name(1), "row 1");
  EXPECT_EQ(cached_name(2), "row 2");
  EXPECT_EQ(loads_, 2);
  const auto before = inv.events();
  const auto start = Clock::now();
  db_->query("UPDATE " + table_ + " SET name = 'changed' WHERE id = 1");
  const auto event =
      InvalidatorAccess::wait_for(inv, Kind::notification, before, milliseconds(100));
  const auto elapsed = std::chrono::duration_cast<milliseconds>(Clock::now() - start).count();
  ASSERT_TRUE(event.has_value()) << "no invalidation within 100 ms";
  EXPECT_LE(elapsed, 100);
  EXPECT_EQ(event->op, "UPDATE");
  EXPECT_EQ(event->keys, 1u);
  EXPECT_EQ(event->deleted, 1u);
  EXPECT_TRUE(event->matched);
  EXPECT_TRUE(event->error.empty()) << event->error;
  EXPECT_FALSE(cache_->exists("item:1"));
  EXPECT_TRUE(cache_->exists("item:2"));
  EXPECT_EQ(cached_name(1), "changed");
  EXPECT_EQ(cached_name(2), "row 2");
  EXPECT_EQ(loads_, 3);
  std::printf("commit → invalidated: %lld ms\n", static_cast<long long>(elapsed));
}

TEST_P(InvalidatorTest, KeepsItsOwnCacheHandleAndMovesWithItsThread) {
  // Built from a temporary copy of the cache handle: the invalidator keeps the cache alive.
  Invalidator first(Cache(*cache_), options());
  first.watch(table_, {"item:{id}"});
  first.start();
  const int pid = first.backend_pid();
  EXPECT_NE(pid, 0);
  // Moved while its listener thread runs: the new owner has the same thread and connection.
  Invalidator inv(std::move(first));
  EXPECT_EQ(inv.backend_pid(), pid);
  EXPECT_EQ(inv.connects(), 1u);
  EXPECT_EQ(cached_name(3), "row 3");
  const auto before = inv.events();
  db_->query("UPDATE " + table_ + " SET name = 'moved' WHERE id = 3");
  const auto event =
      InvalidatorAccess::wait_for(inv, Kind::notification, before, milliseconds(5000));
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->deleted, 1u);
  EXPECT_FALSE(cache_->exists("item:3"));
  // Move-assigning over a running invalidator stops the one it replaces.
  Invalidator other(*cache_, options());
  other.watch(table_, {"item:{id}"});
  other.start();
  const int replaced_pid = other.backend_pid();
  other = std::move(inv);
  EXPECT_EQ(other.backend_pid(), pid);
  EXPECT_TRUE(pgfast_test::eventually([&] {
    return db_->query("SELECT count(*) FROM pg_stat_activity WHERE pid = $1",
                      pgfast::params(replaced_pid))
               .get(0, 0) == "0";
  })) << "the replaced invalidator's LISTEN connection is still open";
}

TEST_P(InvalidatorTest, LoadThatReadBeforeACommitDoesNotStoreAfterItsInvalidation) {
  Invalidator inv(*cache_, options());
  inv.watch(table_, {"item:{id}"});  // a plain key, no tags
  inv.start();
  const SlowLoad load = load_across_update(inv, "item:{id}", 1);
  ASSERT_TRUE(load.invalidation_heard) << "no invalidation";
  EXPECT_EQ(load.value, "row 1");          // the caller gets what it read
  EXPECT_FALSE(cache_->exists("item:1"));  // but the stale value is not stored
  EXPECT_EQ(cached_name(1), "changed");
}

TEST_P(InvalidatorTest, WildcardRuleAlsoStopsAStaleStoreOfALoadInFlight) {
  Invalidator inv(*cache_, options());
  inv.watch(table_, {"item:*:{id}"});
  inv.start();
  const SlowLoad load = load_across_update(inv, "item:name:{id}", 2);
  ASSERT_TRUE(load.invalidation_heard) << "no invalidation";
  EXPECT_EQ(load.value, "row 2");
  EXPECT_FALSE(cache_->exists("item:name:2"));
}

TEST_P(InvalidatorTest, RolledBackUpdateInvalidatesNothing) {
  Invalidator inv(*cache_, options());
  inv.watch(table_, {"item:{id}"});
  inv.start();
  EXPECT_EQ(cached_name(1), "row 1");
  EXPECT_EQ(cached_name(2), "row 2");
  const auto before = inv.events();
  {
    auto lease = db_->acquire();
    pgfast::Transaction tx(lease);
    tx->execute("UPDATE " + table_ + " SET name = 'never' WHERE id = 1");
    tx.rollback();
  }
  // A later committed change is heard; the rolled-back one before it never was.
  db_->query("UPDATE " + table_ + " SET name = 'marker' WHERE id = 2");
  const auto event =
      InvalidatorAccess::wait_for(inv, Kind::notification, before, milliseconds(5000));
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->sequence, before + 1);  // the first and only event since
  EXPECT_EQ(event->keys, 1u);
  EXPECT_TRUE(cache_->exists("item:1"));
  EXPECT_FALSE(cache_->exists("item:2"));
  EXPECT_EQ(cached_name(1), "row 1");
}

TEST_P(InvalidatorTest, TagsCompositeTemplatesAndWholeTable) {
  Invalidator inv(*cache_, options());
  inv.watch(table_, {"item:{id}", "list:*"}, {"item-tag:{id}"});
  inv.start();
  for (int id = 1; id <= 3; ++id) EXPECT_EQ(cached_name(id), "row " + std::to_string(id));
  cache_->set("list:page1", "v");
  cache_->set("unrelated", "v");
  // DELETE of two rows: keys, tags and the wildcard template.
  auto before = inv.events();
  db_->query("DELETE FROM " + table_ + " WHERE id IN (1, 2)");
  auto event = InvalidatorAccess::wait_for(inv, Kind::notification, before, milliseconds(5000));
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->op, "DELETE");
  EXPECT_EQ(event->keys, 2u);
  EXPECT_EQ(event->tags, 2u);
  EXPECT_FALSE(cache_->exists("list:page1"));
  EXPECT_FALSE(cached_name(1).has_value());  // deleted rows: a cached "not found" now
  EXPECT_EQ(cached_name(3), "row 3");
  // TRUNCATE: everything the rule covers.
  before = inv.events();
  db_->query("TRUNCATE " + table_);
  event = InvalidatorAccess::wait_for(inv, Kind::notification, before, milliseconds(5000));
  ASSERT_TRUE(event.has_value());
  EXPECT_TRUE(event->all);
  EXPECT_FALSE(cache_->exists("item:3"));
  EXPECT_FALSE(cache_->exists("item:1"));
  EXPECT_TRUE(cache_->exists("unrelated"));
}

TEST_P(InvalidatorTest, TerminatedListenConnectionReconnectsAndInvalidatesEverything) {
  auto o = options();
  o.reconnect_min = milliseconds(20);
  Invalidator inv(*cache_, o);
  inv.watch(table_, {"item:{id}"}, {"item-tag:{id}"});
  inv.start();
  EXPECT_EQ(inv.connects(), 1u);
  for (int id = 1; id <= 5; ++id) cached_name(id);
  cache_->set("unrelated", "v");
  const int pid = inv.backend_pid();
  ASSERT_GT(pid, 0);
  const auto before = inv.events();
  db_->query("SELECT pg_terminate_backend($1)", pgfast::params(pid));
  const auto resync = InvalidatorAccess::wait_for(inv, Kind::resync, before, milliseconds(10000));
  ASSERT_TRUE(resync.has_value()) << "no reconnect";
  EXPECT_TRUE(resync->all);
  EXPECT_EQ(resync->deleted, 5u);
  EXPECT_EQ(inv.connects(), 2u);
  EXPECT_NE(inv.backend_pid(), pid);
  for (int id = 1; id <= 5; ++id) EXPECT_FALSE(cache_->exists("item:" + std::to_string(id)));
  EXPECT_TRUE(cache_->exists("unrelated"));
  // And it listens again.
  cached_name(1);
  const auto after = inv.events();
  db_->query("UPDATE " + table_ + " SET name = 'again' WHERE id = 1");
  ASSERT_TRUE(
      InvalidatorAccess::wait_for(inv, Kind::notification, after, milliseconds(5000)).has_value());
  EXPECT_EQ(cached_name(1), "again");
}

TEST_P(InvalidatorTest, BadPayloadsAndUnwatchedTablesAreReportedNotFatal) {
  Invalidator inv(*cache_, options());
  inv.watch(table_, {"item:{missing_param}"});
  inv.start();
  auto before = inv.events();
  db_->query("SELECT pg_notify($1, 'not json')", pgfast::params(channel_));
  auto error = InvalidatorAccess::wait_for(inv, Kind::error, before, milliseconds(5000));
  ASSERT_TRUE(error.has_value());
  EXPECT_NE(error->error.find("change notification payload"), std::string::npos) << error->error;
  before = inv.events();
  db_->query("UPDATE " + table_ + " SET name = 'x' WHERE id = 1");
  auto event = InvalidatorAccess::wait_for(inv, Kind::notification, before, milliseconds(5000));
  ASSERT_TRUE(event.has_value());
  EXPECT_NE(event->error.find("missing_param"), std::string::npos) << event->error;
  before = inv.events();
  db_->query("SELECT pg_notify($1, $2)",
             pgfast::params(channel_, R"({"table":"public.other","op":"INSERT","keys":[]})"));
  event = InvalidatorAccess::wait_for(inv, Kind::notification, before, milliseconds(5000));
  ASSERT_TRUE(event.has_value());
  EXPECT_FALSE(event->matched);
}

// One statement changing 60 rows: in a cluster their keys lie on every master, and the one
// notification deletes them all (each deletion goes to its key's node; none is refused as
// CROSSSLOT).
TEST_P(InvalidatorTest, OneStatementInvalidatesKeysOnEveryMaster) {
  db_->query("INSERT INTO " + table_ + " SELECT g, 'row ' || g FROM generate_series(11, 60) g");
  Invalidator inv(*cache_, options());
  inv.watch(table_, {"item:{id}"}, {"item-tag:{id}"});
  inv.start();
  for (int id = 1; id <= 60; ++id) ASSERT_EQ(cached_name(id), "row " + std::to_string(id));
  pgfast::Redis redis(pgfast_test::redis_mode_options(GetParam()));
  const std::vector<std::string> masters = redis.masters();
  int holding = 0;
  for (const auto& m : masters) {  // the cache's keys on m (the layout is the cache's own)
    holding += pgfast_test::count_keys_on(redis, m, "*" + cache_->options().key_prefix + "*") > 0;
  }
  EXPECT_EQ(holding, static_cast<int>(masters.size()));
  EXPECT_EQ(masters.size(), GetParam() == RedisMode::cluster ? 3u : 1u);

  const auto before = inv.events();
  db_->query("UPDATE " + table_ + " SET name = 'changed'");
  const auto event =
      InvalidatorAccess::wait_for(inv, Kind::notification, before, milliseconds(5000));
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->keys, 60u);
  EXPECT_EQ(event->deleted, 60u);
  EXPECT_EQ(event->tags, 60u);
  EXPECT_TRUE(event->error.empty()) << event->error;
  for (int id = 1; id <= 60; ++id) EXPECT_FALSE(cache_->exists("item:" + std::to_string(id))) << id;
  EXPECT_EQ(cached_name(60), "changed");
}

// A strict-mode Cache throws Redis errors instead of counting them: the Invalidator must treat
// both as a failed invalidation and resync once Redis answers.
void redis_down_during_invalidation_resyncs_when_back(bool strict) {
  pgfast_test::RedisServer server;
  CacheOptions co;
  co.redis = pgfast_test::redis_options(server.url());
  co.redis.connect_timeout = milliseconds(200);
  co.redis.down_backoff = milliseconds(50);
  co.key_prefix = "inv_fault:";
  co.strict = strict;
  Cache cache(co);
  InvalidatorOptions io;
  io.database_url = pgfast_test::database_url();
  io.channel = pgfast_test::unique_name("inv_fault");
  Invalidator inv(cache, io);
  inv.watch("items_fault", {"item:{id}"});
  inv.start();
  cache.set("item:1", "v");
  server.stop();
  auto before = inv.events();
  inv.handle(R"({"table":"public.items_fault","op":"UPDATE","keys":[{"id":1}]})");
  EXPECT_FALSE(inv.last_event().error.empty());
  ASSERT_TRUE(server.restart());  // a fresh server: empty; put the stale value back
  auto set_stale = [&] {
    try {
      return cache.set("item:1", "stale");
    } catch (const pgfast::RedisError&) {  // strict mode, Redis still coming back
      return false;
    }
  };
  ASSERT_TRUE(pgfast_test::eventually(set_stale));
  // The pending resync deletes it once Redis answers.
  const auto resync = InvalidatorAccess::wait_for(inv, Kind::resync, before, milliseconds(10000));
  ASSERT_TRUE(resync.has_value());
  EXPECT_TRUE(pgfast_test::eventually([&] { return !cache.exists("item:1"); }));
}

TEST(InvalidatorFaults, RedisDownDuringInvalidationResyncsWhenBack) {
  redis_down_during_invalidation_resyncs_when_back(false);
}

TEST(InvalidatorFaults, StrictCacheRedisDownDuringInvalidationResyncsWhenBack) {
  redis_down_during_invalidation_resyncs_when_back(true);
}

// --- a pooler in between (docs/scale-out.md, "PgBouncer") -------------------------------------

namespace {

// start()'s ConfigurationError message, or "" when it started.
std::string start_error(Invalidator& inv) {
  try {
    inv.start();
  } catch (const pgfast::ConfigurationError& e) {
    return e.what();
  }
  return "";
}

void expect_pooler_refusal(const std::string& message) {
  EXPECT_EQ(message.rfind("pgfast::Invalidator: InvalidatorOptions::database_url leads to a "
                          "connection pooler",
                          0),
            0u)
      << message;
  EXPECT_NE(message.find("LISTEN needs a session"), std::string::npos) << message;
  EXPECT_NE(message.find("Give the Invalidator a direct URL"), std::string::npos) << message;
}

// The pooler refusals are about the PostgreSQL side: InvalidatorTest's fixture on a single Redis.
class InvalidatorPoolerTest : public InvalidatorTest {};

}  // namespace

INSTANTIATE_TEST_SUITE_P(, InvalidatorPoolerTest, ::testing::Values(RedisMode::single),
                         pgfast_test::redis_mode_name);

TEST_P(InvalidatorPoolerTest, RefusesATransactionPooledUrlAndWorksWithTheDirectOne) {
  pgfast_test::PgBouncer pooler("transaction");
  {
    InvalidatorOptions o = options();
    o.database_url = pooler.url();
    Invalidator inv(*cache_, o);
    inv.watch(table_, {"item:{id}"});
    expect_pooler_refusal(start_error(inv));
    EXPECT_EQ(inv.connects(), 0u);
    EXPECT_EQ(inv.backend_pid(), 0);
    // The listener ended; a second start() is refused the same way.
    expect_pooler_refusal(start_error(inv));
  }
  Invalidator inv(*cache_, options());
  inv.watch(table_, {"item:{id}"});
  EXPECT_EQ(start_error(inv), "");
  EXPECT_EQ(cached_name(1), "row 1");
  const auto before = inv.events();
  db_->query("UPDATE " + table_ + " SET name = 'changed' WHERE id = 1");
  const auto event =
      InvalidatorAccess::wait_for(inv, Kind::notification, before, milliseconds(10000));
  ASSERT_TRUE(event.has_value()) << "no invalidation";
  EXPECT_EQ(event->deleted, 1u);
  EXPECT_EQ(cached_name(1), "changed");
}

// PgBouncer gives the client its own cancel key in session mode too: refused as well (LISTEN would
// work there, but the Invalidator cannot tell the modes apart, and a pooler saves it nothing).
TEST_P(InvalidatorPoolerTest, RefusesASessionPooledUrlToo) {
  pgfast_test::PgBouncer pooler("session");
  pgfast::Connection through(pooler.url());
  EXPECT_TRUE(through.through_pooler());
  InvalidatorOptions o = options();
  o.database_url = pooler.url();
  Invalidator inv(*cache_, o);
  inv.watch(table_, {"item:{id}"});
  expect_pooler_refusal(start_error(inv));
}
