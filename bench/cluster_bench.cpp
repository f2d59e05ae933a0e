// Benchmark (not a test): the cache and the rate limiter on a 3-master Redis Cluster against
// redis-benchmark --cluster on the same cluster, at the same concurrency (50), issue #17. Run by
// `make bench` under tests/integration/redis_cluster.sh (REDIS_CLUSTER_NODES; no PostgreSQL).
//
// BENCH_ROUNDS (default 5) interleaved rounds; each runs, in turn:
//   GET ceiling:      redis-benchmark --cluster -c 50 -t get -d <stored size> (one key per master,
//                     each client on one master);
//   cache hits:       Cache::cached_key() hits from 50 threads over 300 keys spread by slot
//                     (pool of 50 connections per node), BENCH_CLUSTER_OPS calls (default 100,000);
//   EVALSHA ceiling:  redis-benchmark --cluster -c 50 EVALSHA <the limiter's GCRA script> on
//                     rl:{tag}:ceiling (one key per master), BENCH_LIMITER_N calls (default
//                     50,000);
//   limiter:          RateLimiter::check() from 50 threads over 300 identities, as many calls,
//                     with probe_idle_after 1 s (as the cache) and again with RedisOptions'
//                     defaults (a liveness probe before every command).
// Prints the medians and their ratios (goal >= 0.8) and how evenly keys and commands fall on the
// masters (our keys by slot owner; each side's commands per master from INFO commandstats);
// writes bench/results/cluster.json (a "ratios" list that bench/summarize.py picks up).
//
// BENCH_CLUSTER_LAYOUT says how the CPUs were shared (scripts/bench sets it and pins the processes
// with taskset): "pinned" (the default) = the cluster's servers on one CPU, this program and
// redis-benchmark on another, as when Redis runs on machines of its own: the goal's measurement;
// "shared" = servers and clients on the same CPUs (results in cluster_shared.json, no goal): a
// thread-per-call client then competes with six redis-servers for two cores, which costs it more
// than redis-benchmark's one event-loop thread (docs/scale-out.md, Benchmarks).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.hpp"
#include "pgfast/cache/cache.hpp"
#include "pgfast/ratelimit/rate_limiter.hpp"
#include "pgfast/redis/redis.hpp"
#include "pgfast/testing/rate_limiter_access.hpp"
#include "redis_benchmark.hpp"

namespace {

using pgfast_bench::env_long;
using pgfast_bench::median;
using pgfast_bench::requests_per_second;
using pgfast_bench::run;
using Clock = std::chrono::steady_clock;

constexpr int kConcurrency = 50;
constexpr int kKeys = 300;  // cache keys, and limiter identities

std::vector<std::string> seeds_from_env() {
  const char* v = std::getenv("REDIS_CLUSTER_NODES");
  if (v == nullptr || *v == '\0') {
    throw std::runtime_error(
        "REDIS_CLUSTER_NODES is not set: run through tests/integration/redis_cluster.sh");
  }
  std::vector<std::string> out;
  std::stringstream list(v);
  for (std::string url; std::getline(list, url, ',');) out.push_back(url);
  return out;
}

// Commands each master has executed so far (the sum of INFO commandstats calls).
std::map<std::string, double> commands_per_master(pgfast::Redis& redis,
                                                  const std::vector<std::string>& masters) {
  std::map<std::string, double> out;
  for (const auto& m : masters) {
    std::istringstream lines(redis.command_on(m, {"INFO", "commandstats"}).str());
    double calls = 0;
    for (std::string line; std::getline(lines, line);) {
      const auto at = line.find(":calls=");
      if (line.rfind("cmdstat_", 0) == 0 && at != std::string::npos) {
        calls += std::stod(line.substr(at + 7));
      }
    }
    out[m] = calls;
  }
  return out;
}

// Calls per second of `call(i)` from kConcurrency threads, `ops` calls in all, i = 0, 1, ...
template <class F>
double per_second(long ops, F&& call) {
  std::atomic<long> next{0};
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < kConcurrency; ++t) {
    threads.emplace_back([&] {
      for (long i; (i = next.fetch_add(1, std::memory_order_relaxed)) < ops;) call(i);
    });
  }
  for (auto& t : threads) t.join();
  return static_cast<double>(ops) / std::chrono::duration<double>(Clock::now() - start).count();
}

// "a / b / c" shares of the total, and max/mean (1.00 = perfectly even).
std::string spread(const std::map<std::string, double>& per_master, double* max_over_mean) {
  double total = 0, most = 0;
  for (const auto& [m, v] : per_master) total += v, most = std::max(most, v);
  std::string out;
  char buf[32];
  for (const auto& [m, v] : per_master) {
    std::snprintf(buf, sizeof buf, "%s%.1f%%", out.empty() ? "" : " / ", 100.0 * v / total);
    out += buf;
  }
  *max_over_mean = total > 0 ? most / (total / static_cast<double>(per_master.size())) : 0;
  return out;
}

std::string json_map(const std::map<std::string, double>& m) {
  std::string out = "{";
  for (const auto& [k, v] : m) {
    out += (out.size() > 1 ? ", \"" : "\"") + k + "\": " + std::to_string(static_cast<long>(v));
  }
  return out + "}";
}

std::string json_list(const std::vector<double>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) {
    out += (i ? ", " : "") + std::to_string(static_cast<long>(v[i]));
  }
  return out + "]";
}

}  // namespace

int main() try {
  const long cache_ops = env_long("BENCH_CLUSTER_OPS", 100000);
  const long limiter_ops = env_long("BENCH_LIMITER_N", 50000);
  const int rounds = static_cast<int>(env_long("BENCH_ROUNDS", 5));
  const std::vector<std::string> seeds = seeds_from_env();

  // The cache with its tuned Redis options (RedisOptions::for_cache(): no liveness probe on a
  // connection idle for less than 1 s), 50 connections per node.
  pgfast::CacheOptions cache_options;
  cache_options.redis.cluster_nodes = seeds;
  cache_options.redis.max_connections = kConcurrency;
  cache_options.key_prefix = "bench:";
  pgfast::Cache cache(cache_options);
  pgfast::Redis cache_redis = cache.redis();

  // The limiter twice, 50 connections per node: with the same probe setting as the cache
  // (probe_idle_after 1 s), and with RedisOptions' defaults (a liveness probe, one recv() system
  // call, before every command).
  pgfast::RedisOptions limiter_redis_options;
  limiter_redis_options.cluster_nodes = seeds;
  limiter_redis_options.max_connections = kConcurrency;
  pgfast::Redis probing_redis(limiter_redis_options);
  limiter_redis_options.probe_idle_after = std::chrono::seconds(1);
  pgfast::Redis limiter_redis(limiter_redis_options);
  pgfast::RateLimiter limiter(limiter_redis, pgfast_bench::bench_limiter_options());
  pgfast::RateLimiter probing_limiter(probing_redis, pgfast_bench::bench_limiter_options());

  std::vector<std::string> masters = cache_redis.masters();
  std::sort(masters.begin(), masters.end());
  const std::string& first = masters.front();
  const std::string host = first.substr(0, first.rfind(':'));
  const std::string port = first.substr(first.rfind(':') + 1);
  const std::string redis_benchmark = "redis-benchmark --cluster -h " + host + " -p " + port +
                                      " -c " + std::to_string(kConcurrency);

  // Keys: ours spread by slot; the ceiling's one per master (redis-benchmark's {tag} keys),
  // holding a value of the cache entry's stored size.
  std::vector<std::string> keys, identities;
  for (int i = 0; i < kKeys; ++i) {
    keys.push_back("hit:" + std::to_string(i));
    identities.push_back("id" + std::to_string(i));
    cache.set(keys.back(), std::string(100, 'v'), std::chrono::hours(1));
  }
  const long long stored = cache_redis.command({"STRLEN", cache.redis_key(keys[0])}).integer();
  const std::string get_cmd = redis_benchmark + " -n " + std::to_string(cache_ops) + " -t get -d " +
                              std::to_string(stored) + " -q 2>&1";
  run(redis_benchmark + " -n 1000 -t set -d " + std::to_string(stored) + " -q 2>&1");
  // The limiter's script on every master (redis-benchmark sends EVALSHA only).
  std::string sha;
  for (const auto& m : masters) {
    sha = limiter_redis
              .command_on(m, {"SCRIPT", "LOAD", pgfast::testing::RateLimiterAccess::script()})
              .str();
  }
  const std::string evalsha_cmd = redis_benchmark + " -n " + std::to_string(limiter_ops) +
                                  " -q EVALSHA " + sha + " 1 rl:{tag}:ceiling " +
                                  pgfast_bench::gcra_check_args(limiter.limits().front()) + " 2>&1";
  std::printf("ceilings:\n  %s\n  %s\n", get_cmd.c_str(), evalsha_cmd.c_str());

  std::atomic<long> misses{0}, denied{0};
  auto decide_all = [&](pgfast::RateLimiter& l) {
    return per_second(limiter_ops, [&](long i) {
      const pgfast::Decision d = l.check(identities[static_cast<size_t>(i % kKeys)]);
      if (!d.allowed || d.source != pgfast::DecisionSource::redis) {
        denied.fetch_add(1, std::memory_order_relaxed);
      }
    });
  };
  // The five sides of a round, in this order; each one's rates and commands per master.
  struct Side {
    std::string name;
    std::function<double()> measure;
    std::vector<double> rates = {};
    std::map<std::string, double> load = {};
  };
  std::vector<Side> sides{
      {"redis-benchmark --cluster -t get (ceiling)",
       [&] { return requests_per_second(run(get_cmd)); }},
      {"Cache::cached_key hits, 50 threads, 300 keys",
       [&] {
         return per_second(cache_ops, [&](long i) {
           const auto v =
               cache.cached_key(keys[static_cast<size_t>(i % kKeys)], std::chrono::hours(1),
                                [] { return std::optional<std::string>("miss!"); });
           if (!v || v->size() != 100) misses.fetch_add(1, std::memory_order_relaxed);
         });
       }},
      {"redis-benchmark --cluster EVALSHA GCRA (ceiling)",
       [&] { return requests_per_second(run(evalsha_cmd)); }},
      {"RateLimiter::check, 50 threads, probe_idle_after 1s", [&] { return decide_all(limiter); }},
      {"RateLimiter::check, 50 threads, default options",
       [&] { return decide_all(probing_limiter); }},
  };
  // Warm up: pools open, scripts cached.
  for (auto& side : sides) side.measure();
  misses = 0;
  denied = 0;

  for (int r = 1; r <= rounds; ++r) {
    std::fprintf(stderr, "round %d/%d:", r, rounds);
    for (auto& side : sides) {
      const auto before = commands_per_master(cache_redis, masters);
      side.rates.push_back(side.measure());
      const auto after = commands_per_master(cache_redis, masters);
      for (const auto& m : masters) side.load[m] += after.at(m) - before.at(m);
      std::fprintf(stderr, " %.0f/s", side.rates.back());
    }
    std::fprintf(stderr, "\n");
  }
  // Error replies count as requests for redis-benchmark: there must be none beyond the few NOSCRIPT
  // answered while pgfast's script reached each master.
  for (const auto& m : masters) {
    std::istringstream lines(cache_redis.command_on(m, {"INFO", "errorstats"}).str());
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("errorstat_", 0) == 0)
        std::printf("error replies on %s: %s\n", m.c_str(), line.c_str());
    }
  }
  if (misses != 0) std::printf("warning: %ld cache calls were not hits\n", misses.load());
  if (denied != 0) std::printf("warning: %ld decisions were not allowed by Redis\n", denied.load());

  // Where our keys live: each cache key's and each identity's slot owner.
  std::map<std::string, double> key_owners;
  for (const auto& m : masters) key_owners[m] = 0;
  const pgfast::RedisReply ranges = cache_redis.command_on(first, {"CLUSTER", "SLOTS"});
  for (int i = 0; i < kKeys; ++i) {
    for (const std::string& k : {cache.redis_key(keys[i]), limiter.key(identities[i])}) {
      const auto slot = cache_redis.command({"CLUSTER", "KEYSLOT", k}).integer();
      for (const auto& range : ranges.elements()) {
        if (slot >= range[0].integer() && slot <= range[1].integer()) {
          key_owners[range[2][0].str() + ":" + std::to_string(range[2][1].integer())] += 1;
        }
      }
    }
  }

  // Ratios: ours / the ceiling, of the medians and the median of the per-round ratios.
  struct Ratio {
    std::size_t ours, ceiling;
    const char* name;
    const char* unit;
    bool goal;
  };
  const char* layout_env = std::getenv("BENCH_CLUSTER_LAYOUT");
  const std::string layout = layout_env != nullptr ? layout_env : "pinned";
  if (layout != "pinned" && layout != "shared") {
    throw std::runtime_error("BENCH_CLUSTER_LAYOUT: expected pinned or shared, got " + layout);
  }
  const bool pinned = layout == "pinned";
  const std::string label =
      pinned ? "cluster (servers, clients on separate CPUs): " : "cluster (CPUs shared): ";
  const std::string cache_name = label + "Cache hits vs redis-benchmark --cluster GET";
  const std::string limiter_name =
      label + "RateLimiter::check vs redis-benchmark --cluster EVALSHA";
  const std::string probe_name =
      label + "RateLimiter::check (probe before every command) vs EVALSHA";
  const std::vector<Ratio> ratios{
      {1, 0, cache_name.c_str(), "ops/s", pinned},
      {3, 2, limiter_name.c_str(), "decisions/s", pinned},
      {4, 2, probe_name.c_str(), "decisions/s", false},
  };
  std::printf("\n%-52s %14s\n", "3-master cluster, concurrency 50", "ops/s (median)");
  for (const auto& side : sides)
    std::printf("%-52s %14.0f\n", side.name.c_str(), median(side.rates));
  std::string json_ratios;
  for (const auto& r : ratios) {
    const double ours = median(sides[r.ours].rates), ceiling = median(sides[r.ceiling].rates);
    std::vector<double> per_round;
    for (int i = 0; i < rounds; ++i) {
      per_round.push_back(sides[r.ours].rates[i] / sides[r.ceiling].rates[i]);
    }
    std::printf("%-70s %5.2fx (per-round median %.2fx)%s\n", r.name, ours / ceiling,
                median(per_round), r.goal ? "  goal >= 0.80x" : "");
    json_ratios += std::string(json_ratios.empty() ? "" : ", ") + "{\"name\": \"" + r.name +
                   "\", \"pgfast\": " + std::to_string(ours) +
                   ", \"baseline\": " + std::to_string(ceiling) + ", \"unit\": \"" + r.unit +
                   "\", \"ratio\": " + std::to_string(ours / ceiling) +
                   ", \"median_round_ratio\": " + std::to_string(median(per_round)) +
                   (r.goal ? ", \"goal\": 0.8}" : "}");
  }

  double even = 0;
  std::printf("\nshare per master (%s / %s / %s); max/mean (1.00 = even)\n", masters[0].c_str(),
              masters[1].c_str(), masters[2].c_str());
  std::string json_spread;
  auto report_spread = [&](const std::string& name, const std::map<std::string, double>& load) {
    const std::string shares = spread(load, &even);
    std::printf("%-52s %-26s %.2f\n", name.c_str(), shares.c_str(), even);
    json_spread += std::string(json_spread.empty() ? "" : ", ") + "\"" + name +
                   "\": {\"per_master\": " + json_map(load) +
                   ", \"max_over_mean\": " + std::to_string(even) + "}";
  };
  report_spread("keys: 300 cache keys + 300 limiter identities", key_owners);
  for (const auto& side : sides) report_spread("commands: " + side.name, side.load);
  const std::string json_path =
      pinned ? "bench/results/cluster.json" : "bench/results/cluster_shared.json";
  std::printf("medians of %d interleaved rounds (CPU layout: %s); %s\n", rounds, layout.c_str(),
              json_path.c_str());

  std::ofstream json(json_path);
  json << "{\"layout\": \"" << layout << "\", \"rounds\": " << rounds
       << ", \"concurrency\": " << kConcurrency << ", \"masters\": " << masters.size()
       << ", \"cache_ops_per_round\": " << cache_ops
       << ", \"limiter_ops_per_round\": " << limiter_ops << ", \"get_command\": \"" << get_cmd
       << "\", \"evalsha_command\": \"" << evalsha_cmd << "\",\n \"samples\": {";
  for (std::size_t i = 0; i < sides.size(); ++i) {
    json << (i ? ", " : "") << "\"" << sides[i].name << "\": " << json_list(sides[i].rates);
  }
  json << "},\n \"spread\": {" << json_spread << "},\n \"ratios\": [" << json_ratios << "]}\n";
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "cluster_bench: %s\n", e.what());
  return 1;
}
