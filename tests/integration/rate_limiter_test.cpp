// pgfast::RateLimiter against real redis-servers. Expected values are recomputed with the pure
// GCRA (pgfast::gcra::decide) at the Redis server times the decisions report, so they are exact
// without depending on how fast this machine runs; waits poll Redis TIME. The behaviour tests
// (RateLimiterTest) run on a single server and on a Redis Cluster (redis_modes.hpp); the
// RateLimiterClusterTest ones are about the cluster only; the fault tests on private servers
// (stop, restart, freeze) stay single-node.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "ratelimit/gcra.hpp"
#include "pgfast/ratelimit/rate_limiter.hpp"
#include "pgfast/settings.hpp"
#include "redis/cluster_slot.hpp"
#include "redis_modes.hpp"
#include "redis_server.hpp"
#include "test_env.hpp"

using namespace std::chrono_literals;
using pgfast::Decision;
using pgfast::DecisionSource;
using pgfast::RateLimiter;
using pgfast::RateLimiterOptions;
using pgfast::Redis;
using pgfast::gcra::Mode;
using pgfast_test::redis_mode_options;
using pgfast_test::redis_options;
using pgfast_test::RedisMode;
using pgfast_test::RedisServer;
using Clock = std::chrono::steady_clock;

namespace {

RateLimiterOptions options(const std::string& limits,
                           pgfast::FailureMode mode = pgfast::FailureMode::local) {
  RateLimiterOptions o;
  o.scope = pgfast_test::unique_name("rl_it");
  o.limits = pgfast::parse_limits(limits);
  o.failure_mode = mode;
  return o;
}

std::int64_t redis_time_us(Redis& redis) {
  const auto t = redis.command({"TIME"});
  return std::stoll(t[0].str()) * 1000000 + std::stoll(t[1].str());
}

// Polls Redis TIME until the server clock reaches `target_us` (in cluster mode on any master: the
// test cluster's nodes share this machine's clock).
bool await_redis_time(Redis& redis, std::int64_t target_us) {
  return pgfast_test::eventually([&] { return redis_time_us(redis) >= target_us; }, 30s);
}

// The decision the pure GCRA makes at the time Redis reported; compared field by field.
void expect_same(const Decision& actual, const Decision& expected, const std::string& what) {
  EXPECT_EQ(actual.allowed, expected.allowed) << what;
  EXPECT_EQ(actual.allowed_count, expected.allowed_count) << what;
  EXPECT_EQ(actual.limit, expected.limit) << what;
  EXPECT_EQ(actual.remaining, expected.remaining) << what;
  EXPECT_EQ(actual.reset_after.count(), expected.reset_after.count()) << what;
  EXPECT_EQ(actual.retry_after.count(), expected.retry_after.count()) << what;
  EXPECT_EQ(actual.deciding, expected.deciding) << what;
  ASSERT_EQ(actual.states.size(), expected.states.size()) << what;
  for (std::size_t i = 0; i < actual.states.size(); ++i) {
    EXPECT_EQ(actual.states[i].remaining, expected.states[i].remaining) << what << " limit " << i;
    EXPECT_EQ(actual.states[i].reset_after, expected.states[i].reset_after) << what << " " << i;
    EXPECT_EQ(actual.states[i].retry_after, expected.states[i].retry_after) << what << " " << i;
  }
}

// Replays decisions through the pure GCRA.
class Replay {
 public:
  explicit Replay(const RateLimiter& limiter)
      : limits_(std::make_shared<const std::vector<pgfast::RateLimit>>(limiter.limits())) {}
  void check(const Decision& d, long long cost, Mode mode, const std::string& what) {
    EXPECT_EQ(d.source, DecisionSource::redis) << what;
    expect_same(d, pgfast::gcra::decide(limits_, tats_, d.now_us, cost, mode), what);
  }

 private:
  std::shared_ptr<const std::vector<pgfast::RateLimit>> limits_;
  std::vector<std::int64_t> tats_;
};

std::string header(const pgfast::HttpHeaders& h, const std::string& name) {
  for (const auto& [k, v] : h) {
    if (k == name) return v;
  }
  return "<absent>";
}

long long ms_since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

// Behaviour tests, run in both modes.
class RateLimiterTest : public ::testing::TestWithParam<RedisMode> {
 protected:
  pgfast::RedisOptions mode_options(int max_connections = 8) const {
    return redis_mode_options(GetParam(), max_connections);
  }
  bool cluster() const { return GetParam() == RedisMode::cluster; }
};

// Tests about the cluster itself (run by ctest integration.redis_cluster.limiter only).
class RateLimiterClusterTest : public RateLimiterTest {};

}  // namespace

INSTANTIATE_TEST_SUITE_P(, RateLimiterTest,
                         ::testing::Values(RedisMode::single, RedisMode::cluster),
                         pgfast_test::redis_mode_name);
INSTANTIATE_TEST_SUITE_P(, RateLimiterClusterTest, ::testing::Values(RedisMode::cluster),
                         pgfast_test::redis_mode_name);

TEST_P(RateLimiterTest, FivePerSecondAllowsFiveOfEightThenOneAfterTheInterval) {
  Redis redis(mode_options());
  RateLimiter limiter(redis, options("5/second"));
  // The burst must fit in one emission interval (200 ms) of Redis time; on a badly overloaded
  // machine it may not, so up to three identities are tried. Each attempt is checked exactly.
  std::vector<Decision> ds;
  std::string id;
  std::unique_ptr<Replay> replay;
  for (int attempt = 0; attempt < 3; ++attempt) {
    id = "user:1:" + std::to_string(attempt);
    replay = std::make_unique<Replay>(limiter);
    ds.clear();
    for (int i = 0; i < 8; ++i) ds.push_back(limiter.check(id));
    for (int i = 0; i < 8; ++i)
      replay->check(ds[i], 1, Mode::all_or_nothing, "request " + std::to_string(i));
    if (ds[7].now_us - ds[0].now_us < 200000) break;
  }
  ASSERT_LT(ds[7].now_us - ds[0].now_us, 200000) << "8 requests never fit in 200 ms";
  int allowed = 0;
  for (const auto& d : ds) allowed += d.allowed;
  EXPECT_EQ(allowed, 5);
  EXPECT_EQ(ds[0].remaining, 4);
  EXPECT_EQ(ds[0].reset_after.count(), 200000);
  EXPECT_EQ(ds[4].remaining, 0);
  EXPECT_FALSE(ds[5].allowed);
  // The sixth waits for the first request's slot to be one interval old.
  EXPECT_EQ(ds[5].retry_after.count(), 200000 - (ds[5].now_us - ds[0].now_us));
  EXPECT_EQ(ds[5].reset_after.count(), 1000000 - (ds[5].now_us - ds[0].now_us));

  ASSERT_TRUE(await_redis_time(redis, ds[7].now_us + ds[7].retry_after.count()));
  const Decision again = limiter.check(id);
  replay->check(again, 1, Mode::all_or_nothing, "after the interval");
  EXPECT_TRUE(again.allowed);
  const Decision next = limiter.check(id);
  replay->check(next, 1, Mode::all_or_nothing, "right after");
  // Another identity has its own budget.
  EXPECT_EQ(limiter.check("user:2").remaining, 4);
}

TEST_P(RateLimiterTest, FivePer100MsEndToEnd) {
  Redis redis(mode_options());
  RateLimiter limiter(redis, options("5/100ms"));
  ASSERT_EQ(limiter.limits().front(), (pgfast::RateLimit{5, 100ms}));
  Replay replay(limiter);
  const std::string id = "user:fast";
  std::vector<Decision> ds;
  for (int i = 0; i < 8; ++i) {
    ds.push_back(limiter.check(id));
    replay.check(ds.back(), 1, Mode::all_or_nothing, "request " + std::to_string(i));
  }
  EXPECT_TRUE(ds[0].allowed);
  EXPECT_EQ(ds[0].remaining, 4);
  EXPECT_EQ(ds[0].reset_after, 20ms);
  // The GCRA bound over the span the requests took: the burst plus one per 20 ms.
  long allowed = 0;
  for (const auto& d : ds) allowed += d.allowed;
  EXPECT_LE(allowed, 5 + (ds.back().now_us - ds.front().now_us) / 20000);
  const long long pttl = redis.command({"PTTL", limiter.key(id)}).integer();
  EXPECT_GT(pttl, 0);
  EXPECT_LE(pttl, 100);  // the key lives no longer than a full 100 ms burst takes to refill

  // Use up what is left, then wait (on Redis time) for the retry: allowed again.
  Decision d;                                   // allowed
  for (int i = 0; i < 100 && d.allowed; ++i) {  // each request takes 20 ms of budget
    d = limiter.check(id);
    replay.check(d, 1, Mode::all_or_nothing, "until denied");
  }
  ASSERT_FALSE(d.allowed);
  ASSERT_GT(d.retry_after.count(), 0);
  ASSERT_LE(d.retry_after, 20ms);
  EXPECT_EQ(header(pgfast::headers(d), "Retry-After"), "1");  // whole seconds, rounded up
  ASSERT_TRUE(await_redis_time(redis, d.now_us + d.retry_after.count()));
  d = limiter.check(id);
  replay.check(d, 1, Mode::all_or_nothing, "after the retry");
  EXPECT_TRUE(d.allowed);
}

TEST_P(RateLimiterTest, AllowAtMostTakesWhatEveryLimitAllowsInOneCall) {
  Redis redis(mode_options());
  RateLimiter limiter(redis, options("10/second;4/minute"));
  Replay replay(limiter);
  const std::string id = "user:batch";
  Decision d = limiter.allow_at_most(id, 3);
  replay.check(d, 3, Mode::at_most, "3 of 4");
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.allowed_count, 3);
  d = limiter.allow_at_most(id, 5);
  replay.check(d, 5, Mode::at_most, "the last one");
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.allowed_count, 1);  // the minute limit had 1 left (its interval is 15 s)
  EXPECT_EQ(d.remaining, 0);
  const auto stored = redis.command({"HGETALL", limiter.key(id)}).debug_string();
  d = limiter.allow_at_most(id, 5);
  replay.check(d, 5, Mode::at_most, "nothing left");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.allowed_count, 0);
  EXPECT_EQ(d.deciding, 1u);
  EXPECT_GT(d.retry_after, 10s);  // one request, on the minute limit
  EXPECT_EQ(redis.command({"HGETALL", limiter.key(id)}).debug_string(), stored);
  // Both limits took the same 4: the per-second one has 10 - 4 + what refilled since.
  EXPECT_EQ(d.states[1].remaining, 0);
  EXPECT_GE(d.states[0].remaining, 6);
}

TEST_P(RateLimiterTest, CopiesAndTheOwnRedisConstructorShareOneLimiter) {
  RateLimiter own(options("2/minute"), mode_options());
  RateLimiter copy = own;
  EXPECT_TRUE(own.check("u").allowed);
  EXPECT_TRUE(copy.check("u").allowed);
  const Decision d = own.check("u");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.source, DecisionSource::redis);
  EXPECT_EQ(copy.stats().redis, 3u);
  EXPECT_EQ(copy.stats().denied, 1u);
}

TEST_P(RateLimiterTest, TwoLimitsTheStricterDecidesAndADenialConsumesNeither) {
  Redis redis(mode_options());
  RateLimiter limiter(redis, options("3/second;5/minute"));
  Replay replay(limiter);
  const std::string id = "ip:192.0.2.1";
  for (int i = 0; i < 3; ++i) {
    const auto d = limiter.check(id);
    replay.check(d, 1, Mode::all_or_nothing, "allowed " + std::to_string(i));
    EXPECT_TRUE(d.allowed);
  }
  const auto before = redis.command({"HGETALL", limiter.key(id)}).debug_string();
  const auto denied = limiter.check(id);
  replay.check(denied, 1, Mode::all_or_nothing, "denied by the second limit");
  EXPECT_FALSE(denied.allowed);
  EXPECT_EQ(denied.deciding, 0u);
  EXPECT_EQ(denied.limit, 3);
  EXPECT_EQ(denied.states[1].remaining, 2);
  EXPECT_EQ(redis.command({"HGETALL", limiter.key(id)}).debug_string(), before);

  // Once the per-second limit is full again, two more requests use up the minute limit (5)...
  ASSERT_TRUE(await_redis_time(redis, denied.now_us + denied.states[0].reset_after.count()));
  for (int i = 0; i < 2; ++i) {
    const auto d = limiter.check(id);
    replay.check(d, 1, Mode::all_or_nothing, "second round " + std::to_string(i));
    EXPECT_TRUE(d.allowed);
  }
  // ... which is now the stricter one: the next request waits ~12 s, not ~0.33 s.
  const auto by_minute = limiter.peek(id);
  replay.check(by_minute, 1, Mode::peek, "peek at the minute limit");
  EXPECT_FALSE(by_minute.allowed);
  EXPECT_EQ(by_minute.deciding, 1u);
  EXPECT_EQ(by_minute.limit, 5);
  EXPECT_TRUE(by_minute.states[0].allowed);
  EXPECT_GT(by_minute.retry_after, std::chrono::microseconds(10s));
}

TEST_P(RateLimiterTest, CostPeekAndReset) {
  Redis redis(mode_options());
  RateLimiter limiter(redis, options("10/minute"));
  Replay replay(limiter);
  const std::string id = "user:cost";
  auto d = limiter.check(id, 4);
  replay.check(d, 4, Mode::all_or_nothing, "cost 4");
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.remaining, 6);
  d = limiter.check(id, 7);
  replay.check(d, 7, Mode::all_or_nothing, "cost 7 denied");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.remaining, 6);
  const auto stored = redis.command({"HGETALL", limiter.key(id)}).debug_string();
  for (int i = 0; i < 5; ++i) {
    d = limiter.peek(id, 6);
    replay.check(d, 6, Mode::peek, "peek");
    EXPECT_TRUE(d.allowed);
    EXPECT_EQ(d.remaining, 6);
  }
  EXPECT_EQ(redis.command({"HGETALL", limiter.key(id)}).debug_string(), stored);
  d = limiter.check(id, 6);
  replay.check(d, 6, Mode::all_or_nothing, "cost 6");
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.remaining, 0);
  const long long pttl = redis.command({"PTTL", limiter.key(id)}).integer();
  EXPECT_GT(pttl, 0);
  EXPECT_LE(pttl, (d.reset_after.count() + 999) / 1000);
  // A cost above the burst can never pass: a denial, nothing taken, no exception.
  d = limiter.check(id, 11);
  replay.check(d, 11, Mode::all_or_nothing, "cost above the burst");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, Decision::never);
  EXPECT_EQ(header(pgfast::headers(d), "Retry-After"), "<absent>");
  EXPECT_THROW(limiter.check(id, 0), pgfast::UsageError);

  limiter.reset(id);
  EXPECT_EQ(redis.command({"EXISTS", limiter.key(id)}).integer(), 0);
  d = limiter.peek(id);
  EXPECT_EQ(d.remaining, 10);
  EXPECT_EQ(d.reset_after.count(), 0);
}

TEST_P(RateLimiterTest, KeysAreScopeAndIdentity) {
  Redis redis(mode_options());
  auto o = options("5/minute");
  RateLimiter limiter(redis, o);
  const std::string identity = pgfast::rate_limit_identity(std::nullopt, "::ffff:198.51.100.7");
  limiter.check(identity);
  // Single node: the names pgfast always used. Cluster: the identity is the hash tag.
  const std::string expected =
      cluster() ? "rl:" + o.scope + ":{ip:198.51.100.7}" : "rl:" + o.scope + ":ip:198.51.100.7";
  EXPECT_EQ(limiter.key(identity), expected);
  EXPECT_EQ(redis.command({"EXISTS", expected}).integer(), 1);
  // The same client written differently shares the counter.
  const auto d = limiter.check(pgfast::rate_limit_identity(std::nullopt, "198.51.100.7"));
  EXPECT_EQ(d.remaining, 3);
  // Identities with braces, colons and '%' are identities like any other: each its own budget.
  const std::vector<std::string> odd{"user:{a}", "user:{a}b", "user:a}b{", "user:a%7Db", "{}"};
  for (const auto& id : odd) {
    EXPECT_EQ(limiter.check(id, 2).remaining, 3) << id;
    EXPECT_EQ(redis.command({"HLEN", limiter.key(id)}).integer(), 1) << id;
  }
  for (const auto& id : odd) EXPECT_EQ(limiter.peek(id).remaining, 3) << id;
}

TEST_P(RateLimiterTest, ScriptFlushBetweenCallsIsTransparent) {
  Redis redis(mode_options());
  RateLimiter limiter(redis, options("100/minute"));
  Replay replay(limiter);
  replay.check(limiter.check("u"), 1, Mode::all_or_nothing, "before");
  // In a cluster the script may not have been on this identity's master yet (SCRIPT LOAD went to
  // one master): that first use is a reload too, hence the difference.
  const auto reloads = limiter.stats().script_reloads;
  for (const auto& node : redis.masters()) redis.command_on(node, {"SCRIPT", "FLUSH"});
  replay.check(limiter.check("u"), 1, Mode::all_or_nothing, "after SCRIPT FLUSH");
  replay.check(limiter.check("u"), 1, Mode::all_or_nothing, "after reload");
  EXPECT_EQ(limiter.stats().script_reloads - reloads, 1u);
  EXPECT_EQ(limiter.stats().redis, 3u);
  EXPECT_EQ(limiter.stats().redis_failures, 0u);
}

TEST_P(RateLimiterTest, HeadersForAllowedAndDeniedDecisions) {
  Redis redis(mode_options());
  pgfast::Settings settings;
  RateLimiterOptions o = RateLimiterOptions::named("search", settings);  // 10/minute
  o.scope = pgfast_test::unique_name("search");
  RateLimiter limiter(redis, o);
  auto d = limiter.check("user:h");
  auto h = pgfast::headers(d);
  EXPECT_EQ(header(h, "X-RateLimit-Limit"), "10");
  EXPECT_EQ(header(h, "X-RateLimit-Remaining"), "9");
  EXPECT_EQ(header(h, "X-RateLimit-Reset"), "6");
  EXPECT_EQ(header(h, "Retry-After"), "<absent>");
  for (int i = 0; i < 9; ++i) d = limiter.check("user:h");
  EXPECT_TRUE(d.allowed);
  d = limiter.check("user:h");
  EXPECT_FALSE(d.allowed);
  pgfast::RateLimitHeaderOptions ho;
  ho.ietf = true;
  h = pgfast::headers(d, ho);
  EXPECT_EQ(header(h, "X-RateLimit-Remaining"), "0");
  const long long retry_s = (d.retry_after.count() + 999999) / 1000000;
  EXPECT_EQ(header(h, "Retry-After"), std::to_string(std::max(1LL, retry_s)));
  EXPECT_GE(retry_s, 5);  // one 6 s interval minus the time the requests took
  EXPECT_LE(retry_s, 6);
  EXPECT_EQ(header(h, "RateLimit-Policy"), "\"10/minute\";q=10;w=60");
  EXPECT_EQ(header(h, "RateLimit"),
            "\"10/minute\";r=0;t=" + std::to_string((d.reset_after.count() + 999999) / 1000000));
}

namespace {

// What one process saw of one identity: decisions, allowed ones, and the Redis times of the
// first and last allowed.
struct Tally {
  long allowed = 0;
  long total = 0;
  std::int64_t first = std::numeric_limits<std::int64_t>::max();
  std::int64_t last = 0;
  void add(const Tally& o) {
    allowed += o.allowed;
    total += o.total;
    first = std::min(first, o.first);
    last = std::max(last, o.last);
  }
};

// One identity per master ("shared:<n>", the first found for each): a single server gets one, a
// cluster of three masters three, each decided on its own node.
std::vector<std::string> one_identity_per_master(Redis& redis, const RateLimiter& limiter) {
  const std::size_t masters = redis.masters().size();
  std::map<std::string, std::string> by_master;
  for (int i = 0; by_master.size() < masters && i < 10000; ++i) {
    const std::string id = "shared:" + std::to_string(i);
    by_master.emplace(pgfast_test::owner_of(redis, limiter.key(id)), id);
  }
  std::vector<std::string> ids;
  for (const auto& [master, id] : by_master) ids.push_back(id);
  return ids;
}

}  // namespace

// Two processes (this test binary re-executed with a filter naming this instance) × 8 threads
// share the budgets of one identity per master for 2 s (in a cluster: three identities on three
// nodes, every thread of both processes taking from one of them). Every allowed decision carries
// its Redis time; per identity, with burst B and interval T, the GCRA allows at most
// B + (last - first) / T requests between the first and last allowed ones, however many
// processes and nodes take part.
TEST_P(RateLimiterTest, TwoProcessesTimesEightThreadsNeverExceedTheLimit) {
  const char* worker_out = std::getenv("PGFAST_LIMITER_WORKER_OUT");
  const bool is_worker = worker_out != nullptr;
  const std::string scope =
      is_worker ? std::getenv("PGFAST_LIMITER_SCOPE") : pgfast_test::unique_name("rl_dist");
  const std::string barrier = "rl_it_barrier:" + scope;

  Redis redis(mode_options(16));
  RateLimiterOptions o = options("50/second burst 10", pgfast::FailureMode::closed);
  o.scope = scope;
  RateLimiter limiter(redis, o);
  std::vector<std::string> ids;
  if (is_worker) {
    std::istringstream in(std::getenv("PGFAST_LIMITER_IDS"));
    for (std::string id; std::getline(in, id, ',');) ids.push_back(id);
  } else {
    ids = one_identity_per_master(redis, limiter);
    ASSERT_EQ(ids.size(), cluster() ? 3u : 1u);
  }

  pid_t child = -1;
  std::string child_out;
  if (!is_worker) {
    child_out = "/tmp/" + scope + ".out";
    std::string joined;
    for (const auto& id : ids) joined += (joined.empty() ? "" : ",") + id;
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    const std::string filter =
        std::string("--gtest_filter=") + info->test_suite_name() + "." + info->name();
    child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ::setenv("PGFAST_LIMITER_WORKER_OUT", child_out.c_str(), 1);
      ::setenv("PGFAST_LIMITER_SCOPE", scope.c_str(), 1);
      ::setenv("PGFAST_LIMITER_IDS", joined.c_str(), 1);
      if (std::freopen("/dev/null", "w", stdout) == nullptr) ::_exit(3);
      ::execl("/proc/self/exe", "pgfast_integration_tests", filter.c_str(),
              static_cast<char*>(nullptr));
      ::_exit(127);
    }
  }

  // Start together: each process announces itself and waits for the other.
  redis.command({"INCR", barrier});
  redis.command({"EXPIRE", barrier, "60"});
  ASSERT_TRUE(pgfast_test::eventually(
      [&] {
        return std::stoi(redis.command({"GET", barrier}).str()) >= 2;
      },
      30s));

  std::mutex mutex;
  std::vector<Tally> mine(ids.size());
  std::vector<std::thread> threads;
  const auto end = Clock::now() + 2s;
  for (std::size_t t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      const std::size_t which = t % ids.size();
      Tally my;
      while (Clock::now() < end) {
        const Decision d = limiter.check(ids[which]);
        ++my.total;
        if (d.allowed) {
          ++my.allowed;
          my.first = std::min(my.first, d.now_us);
          my.last = std::max(my.last, d.now_us);
        }
      }
      std::lock_guard<std::mutex> lock(mutex);
      mine[which].add(my);
    });
  }
  for (auto& t : threads) t.join();
  long total = 0;
  for (const auto& m : mine) total += m.total;
  EXPECT_EQ(limiter.stats().redis, static_cast<std::uint64_t>(total));

  if (is_worker) {
    std::ofstream out(worker_out);
    for (const auto& m : mine) {
      out << m.allowed << " " << m.total << " " << m.first << " " << m.last << "\n";
    }
    return;
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "worker status " << status;
  std::vector<Tally> theirs(ids.size());
  {
    std::ifstream in(child_out);
    for (auto& c : theirs) ASSERT_TRUE(in >> c.allowed >> c.total >> c.first >> c.last);
  }
  std::remove(child_out.c_str());
  redis.command({"DEL", barrier});
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const std::string where = ids[i] + " on " + pgfast_test::owner_of(redis, limiter.key(ids[i]));
    EXPECT_GT(mine[i].allowed, 0) << where;
    EXPECT_GT(theirs[i].allowed, 0) << where;
    Tally both = mine[i];
    both.add(theirs[i]);
    const std::int64_t span = both.last - both.first;
    const long bound = 10 + static_cast<long>(span / 20000);
    std::printf("distributed %s: %ld + %ld allowed of %ld + %ld over %.3f s; GCRA bound %ld\n",
                where.c_str(), mine[i].allowed, theirs[i].allowed, mine[i].total, theirs[i].total,
                span / 1e6, bound);
    EXPECT_LE(both.allowed, bound) << where;
    EXPECT_GE(both.allowed, bound * 9 / 10) << where;  // and the limiter did not deny everything
    EXPECT_GT(span, 1500000) << where;
  }
}

TEST(RateLimiter, FailureModesWhenRedisIsDownAndBackAfterARestart) {
  RedisServer server;
  auto ro = redis_options(server.url(), 4);
  ro.connect_timeout = 300ms;
  ro.command_timeout = 300ms;
  Redis redis(ro);
  auto open_o = options("5/second", pgfast::FailureMode::open);
  auto closed_o = options("5/second", pgfast::FailureMode::closed);
  closed_o.closed_retry_after = 2500ms;
  auto local_o = options("5/second", pgfast::FailureMode::local);
  RateLimiter open(redis, open_o), closed(redis, closed_o), local(redis, local_o);
  for (RateLimiter* l : {&open, &closed, &local}) {
    EXPECT_EQ(l->check("u").source, DecisionSource::redis);
  }

  auto expect_modes = [&](const char* how, int calls) {
    for (int i = 0; i < calls; ++i) {
      auto start = Clock::now();
      const Decision o = open.check("u");
      EXPECT_LT(ms_since(start), 300 + 700) << how;
      EXPECT_TRUE(o.allowed) << how;
      EXPECT_EQ(o.source, DecisionSource::fail_open) << how;

      start = Clock::now();
      const Decision c = closed.check("u");
      EXPECT_LT(ms_since(start), 300 + 700) << how;
      EXPECT_FALSE(c.allowed) << how;
      EXPECT_EQ(c.source, DecisionSource::fail_closed) << how;
      EXPECT_EQ(c.retry_after, std::chrono::microseconds(2500ms));
      EXPECT_EQ(header(pgfast::headers(c), "Retry-After"), "3");

      start = Clock::now();
      const Decision l = local.check("u");
      EXPECT_LT(ms_since(start), 300 + 700) << how;
      EXPECT_EQ(l.source, DecisionSource::local) << how;
    }
  };

  server.stop();
  expect_modes("stopped", 8);
  // The local limiter enforced the same 5/second in process (8 checks well within a second
  // on one clock: at most the burst of 5 plus one per 200 ms elapsed).
  EXPECT_GE(local.stats().local, 8u);
  EXPECT_LE(local.stats().allowed, 1u + 5u + 2u);
  EXPECT_EQ(open.stats().fail_open, 8u);
  EXPECT_EQ(closed.stats().fail_closed, 8u);
  EXPECT_EQ(closed.stats().denied, 8u);
  EXPECT_EQ(open.stats().redis_failures, 8u);

  ASSERT_TRUE(server.restart());
  for (RateLimiter* l : {&open, &closed, &local}) {
    const Decision d = l->check("u2");
    EXPECT_EQ(d.source, DecisionSource::redis);  // same client, no restart
    EXPECT_TRUE(d.allowed);
  }
  EXPECT_EQ(open.stats().redis, 2u);
  EXPECT_GE(
      open.stats().script_reloads + closed.stats().script_reloads + local.stats().script_reloads,
      1u);  // the restarted server had no script cached

  // A hung server (SIGSTOP): the failure mode applies within the command timeout.
  server.freeze();
  expect_modes("frozen", 2);
  server.thaw();
  EXPECT_EQ(closed.check("u3").source, DecisionSource::redis);
}

TEST_P(RateLimiterTest, NamedLimitsForTheReferenceEndpoints) {
  Redis redis(mode_options());
  pgfast::Settings settings;
  settings.rate_limit_per_minute = 7;
  for (const auto& [name, burst] : std::vector<std::pair<std::string, int>>{
           {"general", 7}, {"search", 10}, {"scraping", 5}, {"network", 5}}) {
    auto o = RateLimiterOptions::named(name, settings);
    o.scope = pgfast_test::unique_name(name);
    RateLimiter limiter(redis, o);
    int allowed = 0;
    for (int i = 0; i < burst + 3; ++i) allowed += limiter.check("user:n").allowed;
    EXPECT_EQ(allowed, burst) << name;
  }
}

TEST(RateLimiter, RedisRetryAfterSkipsRedisDuringAnOutage) {
  RedisServer server;
  auto ro = redis_options(server.url(), 2);
  ro.command_timeout = 300ms;
  Redis redis(ro);
  auto o = options("5/second", pgfast::FailureMode::open);
  o.redis_retry_after = 400ms;
  RateLimiter limiter(redis, o);
  EXPECT_EQ(limiter.check("u").source, DecisionSource::redis);
  server.freeze();
  auto start = Clock::now();
  EXPECT_EQ(limiter.check("u").source, DecisionSource::fail_open);  // pays one command timeout
  EXPECT_GE(ms_since(start), 250);
  start = Clock::now();
  for (int i = 0; i < 20; ++i) EXPECT_EQ(limiter.check("u").source, DecisionSource::fail_open);
  EXPECT_LT(ms_since(start), 250);  // no Redis round trips: each decides at once
  const auto s = limiter.stats();
  EXPECT_EQ(s.redis_failures, 1u);
  EXPECT_EQ(s.redis_skipped, 20u);
  EXPECT_EQ(s.fail_open, 21u);
  server.thaw();
  // Back to Redis once redis_retry_after has passed after the failure.
  EXPECT_TRUE(pgfast_test::eventually(
      [&] { return limiter.check("u").source == DecisionSource::redis; }, 5s));
}

TEST_P(RateLimiterClusterTest, IdentitiesKeysSpreadOverEveryMaster) {
  Redis redis(mode_options());
  const RateLimiterOptions o = options("5/minute");
  RateLimiter limiter(redis, o);
  const int n = 600;
  std::map<int, long long> ours_per_slot;
  for (int i = 0; i < n; ++i) {
    const std::string id = "user:" + std::to_string(i);
    ASSERT_EQ(limiter.check(id).source, DecisionSource::redis) << id;
    ++ours_per_slot[pgfast::cluster::key_slot(limiter.key(id))];
  }
  const std::vector<std::string> masters = redis.masters();
  ASSERT_EQ(masters.size(), 3u);
  // Each master holds a share of the identities (200 expected), together exactly all of them.
  std::size_t total = 0;
  for (const auto& m : masters) {
    const std::size_t here = pgfast_test::count_keys_on(redis, m, o.key_prefix + o.scope + ":*");
    EXPECT_GT(here, 140u) << m;
    EXPECT_GE(static_cast<std::size_t>(redis.command_on(m, {"DBSIZE"}).integer()), here) << m;
    total += here;
  }
  EXPECT_EQ(total, static_cast<std::size_t>(n));
  // Every slot the keys fall in is held by exactly one master, which counts them.
  for (const auto& [slot, ours] : ours_per_slot) {
    long long counted = 0;
    int holders = 0;
    for (const auto& m : masters) {
      const long long c =
          redis.command_on(m, {"CLUSTER", "COUNTKEYSINSLOT", std::to_string(slot)}).integer();
      counted += c;
      holders += c > 0;
    }
    EXPECT_EQ(holders, 1) << "slot " << slot;
    EXPECT_GE(counted, ours) << "slot " << slot;
  }
  // Decided by the nodes the slot map names: no redirection was needed.
  EXPECT_EQ(redis.stats().moved, 0u);
}

// The identity's master stops answering (CLIENT PAUSE: its clients wait, while the cluster bus
// goes on, so no failover starts): each limiter decides that identity in its failure mode, an
// identity on another master is still decided by Redis, and the same clients use the node again
// once it answers.
TEST_P(RateLimiterClusterTest, FailureModesApplyWhileTheIdentitysMasterIsUnreachable) {
  pgfast::RedisOptions ro = mode_options(4);
  ro.connect_timeout = 100ms;
  ro.command_timeout = 100ms;
  Redis redis(ro);
  Redis admin(mode_options());
  auto closed_o = options("5/second", pgfast::FailureMode::closed);
  closed_o.closed_retry_after = 2500ms;
  RateLimiter open(redis, options("5/second", pgfast::FailureMode::open));
  RateLimiter closed(redis, closed_o);
  RateLimiter local(redis, options("5/second", pgfast::FailureMode::local));
  auto skipping_o = options("5/second", pgfast::FailureMode::open);
  skipping_o.redis_retry_after = 2s;
  RateLimiter skipping(redis, skipping_o);
  const std::string id = "user:paused";
  for (RateLimiter* l : {&open, &closed, &local, &skipping}) {
    EXPECT_EQ(l->check(id).source, DecisionSource::redis);
  }
  // One identity, one slot: its limiters in every scope live on one master.
  const std::string owner = pgfast_test::owner_of(admin, open.key(id));
  EXPECT_EQ(pgfast_test::owner_of(admin, closed.key(id)), owner);
  EXPECT_EQ(pgfast_test::owner_of(admin, local.key(id)), owner);
  std::string elsewhere;
  for (int i = 0; elsewhere.empty(); ++i) {
    const std::string other = "user:other:" + std::to_string(i);
    if (pgfast_test::owner_of(admin, open.key(other)) != owner) elsewhere = other;
  }

  admin.command_on(owner, {"CLIENT", "PAUSE", "5000", "ALL"});
  const Decision o = open.check(id);
  EXPECT_TRUE(o.allowed);
  EXPECT_EQ(o.source, DecisionSource::fail_open);
  const Decision c = closed.check(id);
  EXPECT_FALSE(c.allowed);
  EXPECT_EQ(c.source, DecisionSource::fail_closed);
  EXPECT_EQ(c.retry_after, std::chrono::microseconds(2500ms));
  EXPECT_EQ(header(pgfast::headers(c), "Retry-After"), "3");
  const Decision l = local.check(id);
  EXPECT_TRUE(l.allowed);
  EXPECT_EQ(l.source, DecisionSource::local);
  EXPECT_EQ(open.check(elsewhere).source, DecisionSource::redis);
  for (RateLimiter* lim : {&open, &closed, &local}) EXPECT_EQ(lim->stats().redis_failures, 1u);
  EXPECT_GT(redis.stats().unavailable, 0u);
  // redis_retry_after is kept per node: after one failure the identity's node is not tried again
  // for a while, the other masters still are.
  EXPECT_EQ(skipping.check(id).source, DecisionSource::fail_open);
  EXPECT_EQ(skipping.check(id).source, DecisionSource::fail_open);
  EXPECT_EQ(skipping.check(elsewhere).source, DecisionSource::redis);
  EXPECT_EQ(skipping.stats().redis_failures, 1u);
  EXPECT_EQ(skipping.stats().redis_skipped, 1u);

  // Back without a restart once the master answers again.
  EXPECT_TRUE(pgfast_test::eventually(
      [&] { return closed.check(id).source == DecisionSource::redis; }, 20s));
  EXPECT_EQ(open.check(id).source, DecisionSource::redis);
  EXPECT_EQ(local.check(id).source, DecisionSource::redis);
  EXPECT_TRUE(pgfast_test::eventually(
      [&] { return skipping.check(id).source == DecisionSource::redis; }, 10s));
}
