// Failover (issue #17): a master is killed (SIGKILL) or hangs (SIGSTOP) while 4 threads run the
// cache and three rate limiters (failure modes open, closed, local) through one cluster-mode
// pgfast::Redis; its replica takes over (cluster-node-timeout 500 ms). During the gap the cache
// falls through to the loader and each limiter decides in its failure mode, with no exception;
// afterwards the same client objects serve hits and Redis decisions again; and no call takes
// longer than the client's timeouts allow. Needs its own cluster (masters die): ctest
// integration.redis_cluster.failover runs it under tests/integration/redis_cluster.sh with
// PGFAST_CLUSTER_NODE_TIMEOUT=500.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "pgfast/cache/cache.hpp"
#include "pgfast/ratelimit/rate_limiter.hpp"
#include "pgfast/redis/redis.hpp"
#include "redis/cluster_slot.hpp"
#include "redis_cluster.hpp"
#include "test_env.hpp"

using pgfast::DecisionSource;
using pgfast::FailureMode;
using pgfast::cluster::key_slot;
using std::chrono::milliseconds;

namespace {

using Clock = std::chrono::steady_clock;

constexpr int kKeysPerSide = 4;  // cache keys / identities on the failing master, and elsewhere

// One line of CLUSTER NODES.
struct ClusterNode {
  std::string id;
  std::string address;  // host:port
  std::string flags;    // e.g. "myself,master", "slave", "master,fail"
  std::string master_id;
};

std::vector<ClusterNode> cluster_nodes(pgfast::Redis& admin, const std::string& asked) {
  std::vector<ClusterNode> out;
  std::istringstream lines(admin.command_on(asked, {"CLUSTER", "NODES"}).str());
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    ClusterNode n;
    fields >> n.id >> n.address >> n.flags >> n.master_id;
    n.address = n.address.substr(0, n.address.find('@'));  // drop @cport[,hostname]
    if (!n.id.empty()) out.push_back(n);
  }
  return out;
}

bool has_flag(const ClusterNode& n, const std::string& flag) {
  return ("," + n.flags + ",").find("," + flag + ",") != std::string::npos;
}

// A master with a replica, from the view of `asked`: {master, replica} addresses.
std::pair<std::string, std::string> master_with_replica(pgfast::Redis& admin,
                                                        const std::string& asked) {
  const auto nodes = cluster_nodes(admin, asked);
  for (const auto& m : nodes) {
    if (!has_flag(m, "master") || has_flag(m, "fail")) continue;
    for (const auto& r : nodes) {
      if (has_flag(r, "slave") && !has_flag(r, "fail") && r.master_id == m.id) {
        return {m.address, r.address};
      }
    }
  }
  throw std::runtime_error("no master with a replica");
}

// Every node but `victim` says cluster_state:ok and sees `replica` as a master: the failover is
// over for the cluster.
bool promoted(pgfast::Redis& admin, const std::vector<std::string>& survivors,
              const std::string& replica) {
  for (const auto& node : survivors) {
    try {
      const std::string info = admin.command_on(node, {"CLUSTER", "INFO"}).str();
      if (info.find("cluster_state:ok") == std::string::npos) return false;
      bool seen = false;
      for (const auto& n : cluster_nodes(admin, node)) {
        if (n.address == replica) seen = has_flag(n, "master") && !has_flag(n, "fail");
      }
      if (!seen) return false;
    } catch (const pgfast::RedisError&) {
      return false;
    }
  }
  return true;
}

struct Call {
  double start_ms;       // since the master was stopped
  double ms;             // duration
  bool on_victim;        // the key / identity lives on the stopped master
  std::string what;      // "cache", "open", "closed", "local"
  std::string outcome;   // cache: "hit" | "loaded"; limiter: the decision source
  bool allowed = false;  // limiter
};

// How the master is taken out: SIGKILL (the process is gone: connections are refused at once)
// or SIGSTOP (it hangs: connections are accepted by the kernel and commands time out).
void run_failover(int stop_signal) {
  pgfast::RedisOptions options = pgfast_test::cluster_options_from_env(8);
  // Every node as a seed: the first may be the master an earlier test killed.
  options.cluster_nodes = pgfast_test::cluster_seed_urls_from_env();
  options.connect_timeout = milliseconds(200);
  options.command_timeout = milliseconds(300);
  options.pool_timeout = milliseconds(1000);
  options.cluster_retry_budget = milliseconds(300);
  options.down_backoff = milliseconds(200);
  // The longest one Redis command may take while a node fails (route() in cluster_router.cpp):
  // the command on the failed node (connect + command timeout), a slot map refresh that may ask
  // that node first (connect + command timeout; the other nodes answer at once), the command
  // again on the new owner (answers at once, or CLUSTERDOWN, retried within the budget), and a
  // NOSCRIPT reload (one more command on a working node). A cache call makes one Redis command
  // while Redis fails (the lookup; the write is skipped), a limiter call one EVALSHA (+ EVAL).
  const milliseconds attempt = options.connect_timeout + options.command_timeout;
  const milliseconds call_bound = 2 * attempt + options.cluster_retry_budget + attempt;

  pgfast::Redis redis(options);
  pgfast::Redis admin(options);  // watches the cluster; its own pools

  const std::string pid = std::to_string(::getpid()) + ":" + std::to_string(stop_signal);
  pgfast::CacheOptions cache_options;
  cache_options.redis = options;
  cache_options.key_prefix = "failover:" + pid + ":";
  pgfast::Cache cache(redis, cache_options);
  std::map<std::string, pgfast::RateLimiter> limiters;
  for (const auto& [name, mode] :
       std::vector<std::pair<std::string, FailureMode>>{{"open", FailureMode::open},
                                                        {"closed", FailureMode::closed},
                                                        {"local", FailureMode::local}}) {
    pgfast::RateLimiterOptions o;
    o.scope = "failover" + pid + name;
    o.limits = {pgfast::RateLimit{1000000, std::chrono::hours(1)}};  // allows every call
    o.failure_mode = mode;
    limiters.emplace(name, pgfast::RateLimiter(redis, o));
  }
  const std::map<std::string, DecisionSource> fallback_source{
      {"open", DecisionSource::fail_open},
      {"closed", DecisionSource::fail_closed},
      {"local", DecisionSource::local}};

  const std::vector<std::string> masters = admin.masters();
  const auto [victim, replica] = master_with_replica(admin, masters.front());
  std::vector<std::string> survivors;
  for (const auto& n : cluster_nodes(admin, masters.front())) {
    if (n.address != victim && !has_flag(n, "fail")) survivors.push_back(n.address);
  }

  // kKeysPerSide names on the victim and as many elsewhere, for the Redis key `key_of(name)`.
  auto pick = [&](const std::string& stem, const std::function<std::string(std::string)>& key_of,
                  std::vector<std::string>& on_victim, std::vector<std::string>& elsewhere) {
    for (int i = 0; on_victim.size() < kKeysPerSide || elsewhere.size() < kKeysPerSide; ++i) {
      const std::string name = stem + std::to_string(i);
      auto& side =
          pgfast_test::slot_owner(admin, key_slot(key_of(name))) == victim ? on_victim : elsewhere;
      if (side.size() < kKeysPerSide) side.push_back(name);
    }
  };
  std::vector<std::string> victim_keys, other_keys;
  pick(
      "k", [&](const std::string& k) { return cache.redis_key(k); }, victim_keys, other_keys);
  std::map<std::string, std::vector<std::string>> victim_ids, other_ids;
  for (auto& [name, limiter] : limiters) {
    pick(
        "id", [&](const std::string& id) { return limiter.key(id); }, victim_ids[name],
        other_ids[name]);
  }
  auto cached_value = [](const std::string& key) { return "cached:" + key; };
  auto loaded_value = [](const std::string& key) { return "loaded:" + key; };
  for (const auto* keys : {&victim_keys, &other_keys}) {
    for (const auto& k : *keys) ASSERT_TRUE(cache.set(k, cached_value(k), std::chrono::hours(1)));
  }
  // The victim's replica has the values: WAIT on the victim's pool (the connection that wrote
  // them), within the command timeout.
  ASSERT_TRUE(pgfast_test::eventually([&] {
    return redis.command_on(victim, {"WAIT", "1", "100"}).integer() == 1;
  }));

  // One call of each kind (or of kind `only`: "cache", "open", ...) on every key / identity;
  // `record` gets each outcome.
  auto one_round = [&](const std::function<void(Call)>& record, Clock::time_point t0,
                       const std::string& only = "") {
    auto since = [&](Clock::time_point t) {
      return std::chrono::duration<double, std::milli>(t - t0).count();
    };
    for (bool on_victim : {true, false}) {
      for (const auto& k : on_victim ? victim_keys : other_keys) {
        if (!only.empty() && only != "cache") break;
        const auto start = Clock::now();
        const auto v = cache.cached_key(
            k, std::chrono::hours(1), [&] { return std::optional<std::string>(loaded_value(k)); });
        const auto end = Clock::now();
        const std::string outcome = v == cached_value(k)   ? "hit"
                                    : v == loaded_value(k) ? "loaded"
                                                           : "wrong value";
        record({since(start), since(end) - since(start), on_victim, "cache", outcome});
      }
      for (auto& [name, limiter] : limiters) {
        if (!only.empty() && only != name) continue;
        for (const auto& id : on_victim ? victim_ids[name] : other_ids[name]) {
          const auto start = Clock::now();
          const pgfast::Decision d = limiter.check(id);
          const auto end = Clock::now();
          record({since(start), since(end) - since(start), on_victim, name,
                  pgfast::to_string(d.source), d.allowed});
        }
      }
    }
  };

  // Before: everything is served by the cluster.
  std::vector<Call> before;
  one_round([&](Call c) { before.push_back(c); }, Clock::now());
  for (const auto& c : before) {
    EXPECT_EQ(c.outcome, c.what == "cache" ? "hit" : "redis") << c.what;
  }

  const long victim_pid = [&] {
    const std::string info = admin.command_on(victim, {"INFO", "server"}).str();
    const auto at = info.find("process_id:");
    return std::stol(info.substr(at + 11));
  }();
  struct Resume {  // a stopped master must run again to be stopped by redis_cluster.sh
    long pid;
    int signal;
    ~Resume() {
      if (signal == SIGSTOP) ::kill(static_cast<pid_t>(pid), SIGCONT);
    }
  } resume{victim_pid, stop_signal};

  std::mutex mutex;
  std::vector<Call> calls;
  std::vector<std::string> errors;
  std::atomic<bool> stop{false};
  const auto t0 = Clock::now();
  ASSERT_EQ(::kill(static_cast<pid_t>(victim_pid), stop_signal), 0);
  // One thread per kind of call, so that a hung node's timeouts on one kind do not keep the
  // others from being tried during the gap.
  std::vector<std::thread> workers;
  for (const std::string kind : {"cache", "open", "closed", "local"}) {
    workers.emplace_back([&, kind] {
      std::vector<Call> mine;
      while (!stop.load()) {
        try {
          one_round([&](Call c) { mine.push_back(std::move(c)); }, t0, kind);
        } catch (const std::exception& e) {
          std::lock_guard<std::mutex> lock(mutex);
          errors.push_back(e.what());
        }
      }
      std::lock_guard<std::mutex> lock(mutex);
      calls.insert(calls.end(), mine.begin(), mine.end());
    });
  }

  // The replica takes over: awaited by polling the survivors.
  const bool taken_over = pgfast_test::eventually(
      [&] { return promoted(admin, survivors, replica); }, std::chrono::seconds(30));
  const double promoted_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  // Then the same client objects work again: a whole round of hits and Redis decisions.
  bool recovered = false;
  if (taken_over) {
    recovered = pgfast_test::eventually(
        [&] {
          bool all_served = true;
          one_round(
              [&](const Call& c) {
                all_served = all_served && (c.outcome == "hit" || c.outcome == "redis");
              },
              t0);
          return all_served;
        },
        std::chrono::seconds(10));
  }
  const double recovered_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  stop = true;
  for (auto& w : workers) w.join();

  ASSERT_TRUE(taken_over) << replica << " did not take over from " << victim;
  EXPECT_TRUE(recovered) << "the client did not use the promoted replica within 10 s";
  EXPECT_TRUE(errors.empty()) << errors.size() << " exceptions, the first: " << errors.front();

  // During the gap (before the replica was seen promoted): the victim's keys fell through to the
  // loader, each limiter decided in its failure mode; nothing else was ever returned. Keys on the
  // other masters may fall back too: once the nodes have marked the victim failed, the cluster
  // answers CLUSTERDOWN for every slot until the promotion (cluster-require-full-coverage yes).
  std::map<std::string, int> fallbacks, elsewhere;
  double longest = 0;
  for (const auto& c : calls) {
    longest = std::max(longest, c.ms);
    EXPECT_LE(c.ms, static_cast<double>(call_bound.count()))
        << c.what << " call at +" << c.start_ms << " ms took " << c.ms << " ms";
    if (c.what == "cache") {
      EXPECT_TRUE(c.outcome == "hit" || c.outcome == "loaded") << c.outcome;
      if (c.outcome == "loaded" && c.start_ms + c.ms < promoted_ms) {
        ++(c.on_victim ? fallbacks : elsewhere)["cache"];
      }
    } else {
      const std::string fallback = pgfast::to_string(fallback_source.at(c.what));
      EXPECT_TRUE(c.outcome == "redis" || c.outcome == fallback) << c.what << ": " << c.outcome;
      EXPECT_EQ(c.allowed, c.outcome != "fail_closed") << c.what << ": " << c.outcome;
      if (c.outcome == fallback && c.start_ms + c.ms < promoted_ms) {
        ++(c.on_victim ? fallbacks : elsewhere)[c.what];
      }
    }
  }
  for (const std::string what : {"cache", "open", "closed", "local"}) {
    EXPECT_GT(fallbacks[what], 0) << what << " never fell back on the victim during the gap";
  }
  std::printf(
      "signal %d: %zu calls; replica promoted at +%.0f ms, client served again by +%.0f ms; "
      "longest call %.0f ms (bound %lld ms); fall-throughs during the gap on the victim (on the "
      "other masters): cache %d (%d), open %d (%d), closed %d (%d), local %d (%d); client slot "
      "maps %llu\n",
      stop_signal, calls.size(), promoted_ms, recovered_ms, longest,
      static_cast<long long>(call_bound.count()), fallbacks["cache"], elsewhere["cache"],
      fallbacks["open"], elsewhere["open"], fallbacks["closed"], elsewhere["closed"],
      fallbacks["local"], elsewhere["local"],
      static_cast<unsigned long long>(redis.stats().slot_map_refreshes));

  // Afterwards, still the same objects: every call is served by the cluster again.
  std::vector<Call> after;
  one_round([&](Call c) { after.push_back(c); }, t0);
  for (const auto& c : after) {
    EXPECT_EQ(c.outcome, c.what == "cache" ? "hit" : "redis") << c.what << " after the failover";
  }
}

}  // namespace

TEST(RedisClusterFailover, AKilledMastersKeysFallThroughUntilItsReplicaTakesOver) {
  run_failover(SIGKILL);
}

TEST(RedisClusterFailover, AHungMasterCostsNoCallMoreThanTheTimeoutsUntilItsReplicaTakesOver) {
  run_failover(SIGSTOP);
}
