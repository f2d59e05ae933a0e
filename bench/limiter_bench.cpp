// Benchmark (not a test): RateLimiter::check from 50 threads against the ceiling, redis-benchmark
// running the same GCRA script (one limit, one key) with EVALSHA at concurrency 50, on the same
// redis-server (REDIS_URL / REDIS_PORT from scripts/with-services). Interleaved in each of
// BENCH_ROUNDS rounds (default 5), BENCH_LIMITER_N decisions per side and round (default 50,000);
// medians of decisions/s and their ratio (goal: >= 0.8). Writes bench/results/limiter.json.
//
// The limit (1,000,000/second, burst 1,000,000) allows every request, so each decision takes the
// script's write path (HSET + PEXPIRE) on both sides.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.hpp"
#include "redis_benchmark.hpp"
#include "pgfast/ratelimit/rate_limiter.hpp"
#include "pgfast/redis/redis.hpp"
#include "pgfast/testing/rate_limiter_access.hpp"

namespace {

using pgfast_bench::env_long;
using pgfast_bench::median;
using pgfast_bench::requests_per_second;
using pgfast_bench::run;

constexpr int kConcurrency = 50;

std::string env_required(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') {
    throw std::runtime_error(std::string(name) + " is not set: run through scripts/with-services");
  }
  return v;
}

}  // namespace

int main() try {
  const long n = env_long("BENCH_LIMITER_N", 50000);
  const int rounds = static_cast<int>(env_long("BENCH_ROUNDS", 5));
  const std::string port = env_required("REDIS_PORT");

  pgfast::RedisOptions ro;
  ro.url = env_required("REDIS_URL");
  ro.max_connections = kConcurrency;
  pgfast::Redis redis(ro);
  pgfast::RateLimiter limiter(redis, pgfast_bench::bench_limiter_options());

  // The ceiling runs the limiter's own script with the same arguments on its own key.
  const std::string sha =
      redis.command({"SCRIPT", "LOAD", pgfast::testing::RateLimiterAccess::script()}).str();
  const std::string ceiling_cmd = "redis-benchmark -h 127.0.0.1 -p " + port + " -c " +
                                  std::to_string(kConcurrency) + " -n " + std::to_string(n) +
                                  " -q EVALSHA " + sha + " 1 rl:bench:ceiling " +
                                  pgfast_bench::gcra_check_args(limiter.limits().front()) + " 2>&1";
  std::printf("ceiling: %s\n", ceiling_cmd.c_str());
  // Warm up both sides (connections opened, script cached).
  run(ceiling_cmd);
  {
    std::vector<std::thread> warm;
    for (int t = 0; t < kConcurrency; ++t) {
      warm.emplace_back([&] {
        for (int i = 0; i < 20; ++i) limiter.check("pgfast");
      });
    }
    for (auto& t : warm) t.join();
  }

  std::vector<double> ceiling, ours;
  long denied = 0;
  for (int round = 1; round <= rounds; ++round) {
    ceiling.push_back(requests_per_second(run(ceiling_cmd)));

    std::atomic<long> next{0};
    std::atomic<long> round_denied{0};
    std::vector<std::thread> threads;
    const auto start = std::chrono::steady_clock::now();
    for (int t = 0; t < kConcurrency; ++t) {
      threads.emplace_back([&] {
        long my_denied = 0;
        while (next.fetch_add(1, std::memory_order_relaxed) < n) {
          const pgfast::Decision d = limiter.check("pgfast");
          my_denied += !d.allowed || d.source != pgfast::DecisionSource::redis;
        }
        round_denied += my_denied;
      });
    }
    for (auto& t : threads) t.join();
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ours.push_back(n / secs);
    denied += round_denied;
    std::fprintf(stderr, "\rround %d/%d: ceiling %.0f/s, RateLimiter::check %.0f/s      ", round,
                 rounds, ceiling.back(), ours.back());
  }
  std::fprintf(stderr, "\n");
  if (denied != 0) std::printf("warning: %ld decisions were not allowed by Redis\n", denied);

  const double c = median(ceiling), o = median(ours);
  std::printf("%-34s %14s\n", "side (concurrency 50)", "decisions/s");
  std::printf("%-34s %14.0f\n", "redis-benchmark EVALSHA (ceiling)", c);
  std::printf("%-34s %14.0f\n", "RateLimiter::check, 50 threads", o);
  std::printf(
      "ratio %.2f (goal >= 0.80); medians of %d interleaved rounds of %ld; "
      "bench/results/limiter.json\n",
      o / c, rounds, n);
  std::ofstream json("bench/results/limiter.json");
  json << "{\"decisions_per_round\": " << n << ", \"rounds\": " << rounds
       << ", \"concurrency\": " << kConcurrency << ", \"limit\": \"" << pgfast_bench::kBenchLimit
       << "\", \"ceiling_per_s\": " << c << ", \"limiter_per_s\": " << o << ", \"ratio\": " << o / c
       << ", \"goal\": 0.8, \"ceiling_samples\": [";
  for (size_t i = 0; i < ceiling.size(); ++i) json << (i ? ", " : "") << ceiling[i];
  json << "], \"limiter_samples\": [";
  for (size_t i = 0; i < ours.size(); ++i) json << (i ? ", " : "") << ours[i];
  json << "], \"command\": \"" << ceiling_cmd.substr(0, ceiling_cmd.size() - 5) << "\"}\n";
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "limiter_bench: %s\n", e.what());
  return 1;
}
