// pgfast::Redis against real redis-servers: the shared one from scripts/with-services, and private
// ones (RedisServer) for fault tests: pause, stop, restart, kill, AUTH.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "pgfast/redis/redis.hpp"
#include "redis/redis_script.hpp"
#include "pgfast/settings.hpp"
#include "redis_server.hpp"
#include "test_env.hpp"

using pgfast::Redis;
using pgfast::RedisReply;
using pgfast::RedisReplyError;
using pgfast::RedisUnavailableError;
using pgfast_test::redis_options;
using pgfast_test::redis_url;
using pgfast_test::RedisServer;
using Clock = std::chrono::steady_clock;

namespace {

std::string key(const std::string& name) {
  return pgfast_test::unique_name("redis_it") + ":" + name;
}

long long ms_since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

// connected_clients from INFO, as the server counts them.
long connected_clients(Redis& redis) {
  const std::string info = redis.command({"INFO", "clients"}).str();
  const auto at = info.find("connected_clients:");
  return std::stol(info.substr(at + 18));
}

}  // namespace

TEST(Redis, CommandsRoundTrip) {
  Redis redis(redis_options(redis_url()));
  const std::string k = key("k");
  EXPECT_TRUE(redis.command({"GET", k}).is_nil());
  const RedisReply set = redis.command({"SET", k, "value", "PX", "60000"});
  EXPECT_TRUE(set.is_status());
  EXPECT_EQ(set.str(), "OK");
  EXPECT_EQ(redis.command({"GET", k}).str(), "value");
  EXPECT_EQ(redis.command({"DEL", k}).integer(), 1);
  EXPECT_EQ(redis.command({"INCRBY", k, "41"}).integer(), 41);
  EXPECT_EQ(redis.command({"INCR", k}).integer(), 42);
  const RedisReply arr = redis.command({"MGET", k, key("missing")});
  ASSERT_EQ(arr.size(), 2u);
  EXPECT_EQ(arr[0].str(), "42");
  EXPECT_TRUE(arr[1].is_nil());
  redis.command({"DEL", k});
  EXPECT_TRUE(redis.ping());
  EXPECT_GE(redis.stats().commands, 8u);
}

TEST(Redis, ErrorRepliesCarryTheirCodeAndKeepTheConnection) {
  auto o = redis_options(redis_url(), 1);
  Redis redis(o);
  const std::string k = key("list");
  redis.command({"RPUSH", k, "a"});
  try {
    redis.command({"GET", k});
    FAIL() << "GET on a list did not throw";
  } catch (const RedisReplyError& e) {
    EXPECT_EQ(e.code(), "WRONGTYPE");
  }
  try {
    redis.command({"EVALSHA", std::string(40, 'f'), "0"});
    FAIL() << "EVALSHA of an unknown script did not throw";
  } catch (const RedisReplyError& e) {
    EXPECT_EQ(e.code(), "NOSCRIPT");
  }
  EXPECT_THROW(redis.command({"NOSUCHCOMMAND"}), RedisReplyError);
  EXPECT_THROW(redis.command({}), pgfast::RedisError);
  EXPECT_EQ(redis.command({"LLEN", k}).integer(), 1);
  const auto s = redis.stats();
  EXPECT_EQ(s.connections_created, 1u);
  EXPECT_EQ(s.connections_discarded, 0u);
  EXPECT_EQ(s.command_errors, 3u);
  redis.command({"DEL", k});
}

TEST(Redis, PipelineKeepsOrderAndReturnsErrorsInPlace) {
  Redis redis(redis_options(redis_url()));
  const std::string k = key("p");
  std::vector<std::vector<std::string>> commands;
  for (int i = 0; i < 200; ++i) commands.push_back({"RPUSH", k, std::to_string(i)});
  commands.push_back({"INCR", k});  // WRONGTYPE, in the middle
  commands.push_back({"LRANGE", k, "0", "-1"});
  commands.push_back({"DEL", k});
  const auto before = redis.stats();
  const auto replies = redis.pipeline(commands);
  ASSERT_EQ(replies.size(), commands.size());
  // One round trip, every command counted.
  EXPECT_EQ(redis.stats().round_trips - before.round_trips, 1u);
  EXPECT_EQ(redis.stats().commands - before.commands, commands.size());
  for (int i = 0; i < 200; ++i) EXPECT_EQ(replies[i].integer(), i + 1);
  EXPECT_TRUE(replies[200].is_error());
  EXPECT_THROW(replies[200].throw_if_error(), RedisReplyError);
  ASSERT_EQ(replies[201].size(), 200u);
  for (int i = 0; i < 200; ++i) EXPECT_EQ(replies[201][i].str(), std::to_string(i));
  EXPECT_EQ(replies[202].integer(), 1);
  EXPECT_TRUE(redis.pipeline({}).empty());
  EXPECT_THROW(redis.pipeline({{"PING"}, {}}), pgfast::RedisError);
  EXPECT_TRUE(redis.ping());  // the rejected pipeline sent nothing
}

TEST(Redis, BinarySafeKeysAndValues) {
  Redis redis(redis_options(redis_url()));
  std::string value;
  for (int i = 0; i < 256; ++i) value += static_cast<char>(i);
  value += std::string("\0\r\n$3\r\n", 7);
  const std::string k = key(std::string("bin\0key\r\n", 9));
  redis.command({"SET", k, value});
  const RedisReply got = redis.command({"GET", k});
  ASSERT_TRUE(got.is_string());
  EXPECT_EQ(got.str().size(), value.size());
  EXPECT_EQ(got.str(), value);
  const auto replies = redis.pipeline({{"STRLEN", k}, {"GET", k}, {"DEL", k}});
  EXPECT_EQ(replies[0].integer(), static_cast<long long>(value.size()));
  EXPECT_EQ(replies[1].str(), value);
  EXPECT_EQ(replies[2].integer(), 1);
}

TEST(Redis, PoolStaysWithinMaxConnectionsUnder32Threads) {
  RedisServer server;
  Redis observer(redis_options(server.url(), 1));
  Redis redis(redis_options(server.url(), 4));
  std::atomic<bool> stop{false};
  std::atomic<long> max_seen{0};
  std::thread watcher([&] {
    while (!stop) {
      const long n = connected_clients(observer) - 1;  // minus the observer itself
      long prev = max_seen.load();
      while (n > prev && !max_seen.compare_exchange_weak(prev, n)) {
      }
    }
  });
  std::vector<std::thread> threads;
  std::atomic<long> sum{0};
  const std::string k = key("counter");
  for (int t = 0; t < 32; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) {
        sum += redis.command({"INCR", k}).integer() > 0 ? 1 : 0;
        if (i % 10 == 0) redis.pipeline({{"PING"}, {"PING"}});
      }
    });
  }
  for (auto& t : threads) t.join();
  stop = true;
  watcher.join();
  EXPECT_EQ(sum.load(), 3200);
  EXPECT_EQ(redis.command({"GET", k}).str(), "3200");
  const auto s = redis.stats();
  EXPECT_LE(s.connections_created, 4u);
  EXPECT_GE(s.connections_created, 1u);
  EXPECT_LE(s.open, 4u);
  EXPECT_EQ(s.in_use, 0u);
  EXPECT_EQ(s.pool_timeouts, 0u);
  EXPECT_LE(max_seen.load(), 4);
  EXPECT_GE(max_seen.load(), 1);
}

TEST(Redis, WaitingBorrowerGetsUnavailableAfterPoolTimeout) {
  RedisServer server;
  auto o = redis_options(server.url(), 1);
  o.command_timeout = std::chrono::milliseconds(5000);
  o.pool_timeout = std::chrono::milliseconds(300);
  Redis redis(o);
  const std::string list = key("blocked");
  pgfast_test::Latch started(1);
  std::thread holder([&] {
    started.count_down();
    redis.command({"BLPOP", list, "1.5"});  // holds the only connection
  });
  started.wait();
  ASSERT_TRUE(pgfast_test::eventually([&] { return redis.stats().in_use == 1; }));
  const auto start = Clock::now();
  EXPECT_THROW(redis.command({"PING"}), RedisUnavailableError);
  const auto waited = ms_since(start);
  holder.join();
  EXPECT_GE(waited, 250);
  EXPECT_LT(waited, 1300);
  EXPECT_EQ(redis.stats().pool_timeouts, 1u);
  EXPECT_TRUE(redis.ping());  // the connection came back
}

TEST(Redis, CommandTimeoutOnPausedServerDiscardsTheConnection) {
  RedisServer server;
  Redis admin(redis_options(server.url(), 1));
  auto o = redis_options(server.url(), 2);
  o.command_timeout = std::chrono::milliseconds(300);
  Redis redis(o);
  ASSERT_TRUE(redis.ping());
  admin.command({"CLIENT", "PAUSE", "2000"});
  const auto start = Clock::now();
  try {
    redis.command({"GET", key("x")});
    FAIL() << "no timeout";
  } catch (const RedisUnavailableError& e) {
    EXPECT_NE(std::string(e.what()).find("timeout"), std::string::npos) << e.what();
  }
  const auto waited = ms_since(start);
  EXPECT_GE(waited, 250);
  EXPECT_LT(waited, 300 + 1000);  // generous slack on a shared machine, well below the pause
  EXPECT_EQ(redis.stats().connections_discarded, 1u);
  // Usable again once the pause ends (CLIENT UNPAUSE would itself be paused).
  EXPECT_TRUE(pgfast_test::eventually([&] { return redis.ping(); }, std::chrono::seconds(5)));
  EXPECT_GE(redis.stats().connections_created, 2u);
}

TEST(Redis, FrozenServerTimesOutWithinTheCommandTimeout) {
  RedisServer server;
  auto o = redis_options(server.url(), 2);
  o.command_timeout = std::chrono::milliseconds(300);
  Redis redis(o);
  ASSERT_TRUE(redis.ping());
  server.freeze();
  const auto start = Clock::now();
  EXPECT_THROW(redis.command({"PING"}), RedisUnavailableError);
  const auto waited = ms_since(start);
  server.thaw();
  EXPECT_GE(waited, 250);
  EXPECT_LT(waited, 1300);
  EXPECT_TRUE(redis.ping());
}

TEST(Redis, ConnectRefusedIsUnavailableAndBackoffFailsFast) {
  auto o = redis_options("redis://127.0.0.1:" + std::to_string(pgfast_test::free_tcp_port()));
  o.down_backoff = std::chrono::milliseconds(60000);
  Redis redis(o);
  const auto start = Clock::now();
  try {
    redis.command({"PING"});
    FAIL() << "no error";
  } catch (const RedisUnavailableError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot connect"), std::string::npos) << e.what();
  }
  EXPECT_THROW(redis.command({"PING"}), RedisUnavailableError);
  EXPECT_FALSE(redis.ping());
  EXPECT_LT(ms_since(start), 1000);
  const auto s = redis.stats();
  EXPECT_EQ(s.connect_failures, 1u);  // the later calls did not try to connect
  EXPECT_EQ(s.unavailable, 3u);
  EXPECT_EQ(s.open, 0u);
}

TEST(Redis, RestartedServerIsUsedAgainWithoutRestartingTheClient) {
  RedisServer server;
  Redis redis(redis_options(server.url(), 4));
  redis.command({"SET", "before", "1"});
  ASSERT_EQ(redis.stats().idle, 1u);
  // Restart while the connection sits idle: the next command notices it was closed and
  // reconnects, without an error.
  ASSERT_TRUE(server.restart());
  EXPECT_TRUE(redis.command({"GET", "before"}).is_nil());  // --save '': a fresh dataset
  EXPECT_EQ(redis.stats().connections_discarded, 1u);
  // Down: commands fail as unavailable; back: they work again.
  server.stop();
  EXPECT_THROW(redis.command({"PING"}), RedisUnavailableError);
  EXPECT_THROW(redis.command({"PING"}), RedisUnavailableError);
  ASSERT_TRUE(server.restart());
  EXPECT_EQ(redis.command({"SET", "after", "1"}).str(), "OK");
  EXPECT_EQ(redis.stats().in_use, 0u);
}

TEST(Redis, KilledServerInTheMiddleOfUse) {
  RedisServer server;
  auto o = redis_options(server.url(), 4);
  Redis redis(o);
  ASSERT_TRUE(redis.ping());
  server.kill();
  EXPECT_THROW(redis.pipeline({{"PING"}, {"PING"}}), RedisUnavailableError);
  ASSERT_TRUE(server.restart());
  EXPECT_EQ(redis.pipeline({{"PING"}, {"PING"}}).size(), 2u);
}

TEST(Redis, AuthWithPasswordOrUserAndSelectDatabase) {
  RedisServer server({"--requirepass", "s3cr:t@"});
  const std::string hostport = "127.0.0.1:" + std::to_string(server.port());
  Redis db2(redis_options("redis://:s3cr%3At%40@" + hostport + "/2"));
  Redis db0(redis_options("redis://:s3cr%3At%40@" + hostport));
  db2.command({"SET", "where", "two"});
  EXPECT_TRUE(db0.command({"GET", "where"}).is_nil());
  EXPECT_EQ(db0.command({"SELECT", "2"}).str(), "OK");
  // SELECT on a pooled connection changes it for the next borrower: callers must not do that;
  // here it only shows the key is in db 2.
  EXPECT_EQ(db0.command({"GET", "where"}).str(), "two");

  db2.command({"ACL", "SETUSER", "app", "on", ">apppw", "~*", "+@all"});
  Redis as_user(redis_options("redis://app:apppw@" + hostport + "/2"));
  EXPECT_EQ(as_user.command({"GET", "where"}).str(), "two");
  EXPECT_EQ(as_user.command({"ACL", "WHOAMI"}).str(), "app");

  Redis wrong(redis_options("redis://:nope@" + hostport));
  try {
    wrong.command({"PING"});
    FAIL() << "no error";
  } catch (const RedisUnavailableError& e) {
    EXPECT_NE(std::string(e.what()).find("AUTH failed"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("nope"), std::string::npos) << e.what();
  }
  Redis none(redis_options("redis://" + hostport));
  EXPECT_THROW(none.command({"GET", "where"}), RedisReplyError);  // NOAUTH
}

TEST(Redis, FromSettings) {
  pgfast::Settings s;
  s.redis_url = redis_url();
  s.redis_max_connections = 3;
  Redis redis(s);
  EXPECT_EQ(redis.options().max_connections, 3);
  EXPECT_TRUE(redis.ping());
}

TEST(RedisScript, RunsWithEvalshaAndSurvivesAScriptFlushAndARestart) {
  RedisServer server;
  Redis redis(redis_options(server.url()));
  pgfast::RedisScript script(
      "redis.call('SET', KEYS[1], ARGV[1]); return {redis.call('GET', KEYS[1]), #KEYS, #ARGV}");
  EXPECT_TRUE(script.sha().empty());
  auto r = script.run(redis, {"k"}, {std::string("v\0w", 3)});
  EXPECT_EQ(r[0].str(), std::string("v\0w", 3));
  EXPECT_EQ(r[1].integer(), 1);
  EXPECT_EQ(r[2].integer(), 1);
  EXPECT_EQ(script.sha().size(), 40u);
  EXPECT_EQ(redis.command({"SCRIPT", "EXISTS", script.sha()})[0].integer(), 1);
  EXPECT_EQ(script.reloads(), 0u);

  redis.command({"SCRIPT", "FLUSH"});
  bool reloaded = false;
  EXPECT_EQ(script.run(redis, {"k"}, {"x"}, &reloaded)[0].str(), "x");
  EXPECT_TRUE(reloaded);
  EXPECT_EQ(script.reloads(), 1u);
  script.run(redis, {"k"}, {"x"}, &reloaded);
  EXPECT_FALSE(reloaded);
  EXPECT_EQ(redis.command({"SCRIPT", "EXISTS", script.sha()})[0].integer(), 1);  // cached again

  ASSERT_TRUE(server.restart());
  EXPECT_EQ(script.run(redis, {"k"}, {"y"})[0].str(), "y");
  EXPECT_EQ(script.reloads(), 2u);
  EXPECT_EQ(script.run(redis, {"k"}, {"z"})[0].str(), "z");
  EXPECT_EQ(script.reloads(), 2u);

  pgfast::RedisScript failing("return redis.error_reply('MYERR custom failure')");
  try {
    failing.run(redis, {}, {});
    FAIL() << "no error";
  } catch (const RedisReplyError& e) {
    EXPECT_EQ(e.code(), "MYERR");
  }
}

// run_each: independent calls of one script in one pipeline, replies in order; a call answered
// NOSCRIPT (here after SCRIPT FLUSH; in cluster mode a node that never saw the script) is repeated
// with EVAL on its own; an error reply is returned, not thrown.
TEST(RedisScript, RunEachPipelinesCallsAndReloadsTheScriptPerCall) {
  RedisServer server;
  Redis redis(redis_options(server.url()));
  pgfast::RedisScript script(
      "if ARGV[1] == 'fail' then return redis.error_reply('MYERR asked to') end "
      "return redis.call('INCRBY', KEYS[1], ARGV[1])");
  const std::vector<pgfast::RedisScript::Call> calls = {
      {{"a"}, {"1"}}, {{"b"}, {"fail"}}, {{"a"}, {"2"}}};
  const auto before = redis.stats().round_trips;
  auto replies = script.run_each(redis, calls);
  // SCRIPT LOAD, then the one pipeline.
  EXPECT_EQ(redis.stats().round_trips, before + 2);
  ASSERT_EQ(replies.size(), 3u);
  EXPECT_EQ(replies[0].integer(), 1);
  EXPECT_TRUE(replies[1].is_error());
  EXPECT_EQ(replies[1].str().rfind("MYERR", 0), 0u) << replies[1].str();
  EXPECT_EQ(replies[2].integer(), 3);
  EXPECT_EQ(script.reloads(), 0u);

  redis.command({"SCRIPT", "FLUSH"});
  replies = script.run_each(redis, {{{"a"}, {"10"}}, {{"c"}, {"5"}}});
  EXPECT_EQ(replies[0].integer(), 13);
  EXPECT_EQ(replies[1].integer(), 5);
  EXPECT_EQ(script.reloads(), 2u);  // both answered NOSCRIPT, each ran once with EVAL
  EXPECT_EQ(redis.command({"GET", "a"}).str(), "13");
  EXPECT_TRUE(script.run_each(redis, {}).empty());
}
