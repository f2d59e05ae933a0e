// Benchmark (not a test): the pgfast::Cache hit path against the Redis ceiling, and a cache hit
// against the database query it replaces.
//
// Throughput, BENCH_ROUNDS (default 5) interleaved rounds of BENCH_CACHE_OPS (default 100,000)
// operations each, at concurrency 50:
//   ceiling: `redis-benchmark -p $REDIS_PORT -c 50 -n N -t get` on a key holding a value the size
//            of the cache's stored entry;
//   cache:   Cache::cached_key() hits from 50 threads over a pool of 50 connections.
// Latency, one thread, BENCH_LATENCY_OPS (default 5,000) calls each: a cache hit of a 50-row
// search-results page vs the SQL query producing that page (prepared, through the pool).
// Prints medians and ratios; writes bench/results/cache.json.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.hpp"
#include "pgfast/cache/cache.hpp"
#include "pgfast/db/database.hpp"
#include "pgfast/settings.hpp"

namespace {

using pgfast_bench::env_long;
using pgfast_bench::median;

using Clock = std::chrono::steady_clock;

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  if (v.empty()) return 0;
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

// requests/s reported by redis-benchmark (its --csv line: "GET","41152.26",...).
double redis_benchmark_rps(const std::string& port, long ops) {
  const std::string cmd = "redis-benchmark -h 127.0.0.1 -p " + port + " -c 50 -n " +
                          std::to_string(ops) + " -t get --csv 2>/dev/null";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (pipe == nullptr) return 0;
  char line[512];
  double rps = 0;
  while (std::fgets(line, sizeof line, pipe) != nullptr) {
    std::string s(line);
    if (s.rfind("\"GET\"", 0) == 0) {
      const auto start = s.find(",\"") + 2;
      rps = std::stod(s.substr(start, s.find('"', start) - start));
    }
  }
  ::pclose(pipe);
  return rps;
}

// Cache hits per second from `threads` threads, `ops` calls in all.
double cache_hits_per_second(pgfast::Cache& cache, int threads, long ops) {
  std::atomic<long> next{0};
  std::atomic<long> wrong{0};
  auto loader = []() -> std::optional<std::string> { return std::string("miss!"); };
  const auto start = Clock::now();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      while (next.fetch_add(1, std::memory_order_relaxed) < ops) {
        auto v = cache.cached_key("bench:hit", std::chrono::hours(1), loader);
        if (!v || v->size() != 100) wrong.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  for (auto& w : workers) w.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (wrong.load() != 0) std::fprintf(stderr, "warning: %ld calls were not hits\n", wrong.load());
  return static_cast<double>(ops) / seconds;
}

}  // namespace

int main() {
  const long ops = env_long("BENCH_CACHE_OPS", 100000);
  const int rounds = static_cast<int>(env_long("BENCH_ROUNDS", 5));
  const long latency_ops = env_long("BENCH_LATENCY_OPS", 5000);
  const char* port = std::getenv("REDIS_PORT");
  if (port == nullptr) {
    std::fprintf(stderr, "REDIS_PORT is not set: run through scripts/with-services\n");
    return 2;
  }
  const pgfast::Settings settings = pgfast::Settings::from_env();
  pgfast::CacheOptions options = pgfast::CacheOptions::from_settings(settings);
  options.redis.max_connections = 50;
  options.key_prefix = "bench:";
  pgfast::Cache cache(options);

  // The hit: a 100-byte value (128 bytes stored with the envelope header). The ceiling's key holds
  // a value of the same stored size.
  cache.set("bench:hit", std::string(100, 'v'), std::chrono::hours(1));
  const long long stored =
      cache.redis().command({"STRLEN", cache.redis_key("bench:hit")}).integer();
  cache.redis().command({"SET", "key:__rand_int__", std::string(static_cast<size_t>(stored), 'v')});
  cache_hits_per_second(cache, 50, 5000);  // warm the pool: 50 connections open

  std::vector<double> ceiling, hits;
  for (int r = 0; r < rounds; ++r) {
    ceiling.push_back(redis_benchmark_rps(port, ops));
    hits.push_back(cache_hits_per_second(cache, 50, ops));
    std::fprintf(stderr, "round %d/%d: redis-benchmark %.0f/s, Cache hits %.0f/s\n", r + 1, rounds,
                 ceiling.back(), hits.back());
  }
  const double ceiling_median = median(ceiling), hits_median = median(hits);

  // Latency: a search-results page from the cache vs from PostgreSQL.
  pgfast::Database db(settings);
  db.query("DROP TABLE IF EXISTS bench_cache_results");
  db.query(
      "CREATE TABLE bench_cache_results (id bigint PRIMARY KEY, query_id int NOT NULL, "
      "rank int NOT NULL, url text NOT NULL, title text NOT NULL)");
  db.query(
      "INSERT INTO bench_cache_results SELECT g, g / 50, g % 50, "
      "'https://example.org/page/' || g, 'Result title number ' || g "
      "FROM generate_series(1, 200000) g");
  db.query("CREATE INDEX ON bench_cache_results (query_id, rank)");
  db.query("VACUUM ANALYZE bench_cache_results");
  const std::string sql =
      "SELECT coalesce(json_agg(r ORDER BY rank), '[]')::text FROM (SELECT id, rank, url, title "
      "FROM bench_cache_results WHERE query_id = $1 ORDER BY rank LIMIT 50) r";
  auto load_page = [&](int query_id) {
    return std::string(db.execute_prepared(sql, pgfast::params(query_id)).get(0, 0));
  };
  const std::string page = load_page(42);
  cache.set("bench:page:42", page, std::chrono::hours(1));
  std::vector<double> hit_us, db_us;
  for (long i = 0; i < latency_ops; ++i) {
    auto t0 = Clock::now();
    auto v = cache.cached("bench:page:{id}", {{"id", 42}}, std::chrono::hours(1),
                          [&]() -> std::optional<std::string> { return load_page(42); });
    auto t1 = Clock::now();
    const std::string fresh = load_page(42);
    auto t2 = Clock::now();
    if (!v || *v != fresh) std::fprintf(stderr, "warning: cached page differs\n");
    hit_us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    db_us.push_back(std::chrono::duration<double, std::micro>(t2 - t1).count());
  }
  db.query("DROP TABLE bench_cache_results");
  const auto s = cache.stats();
  cache.delete_pattern("*");
  cache.redis().command({"DEL", "key:__rand_int__"});

  const double ratio = hits_median / ceiling_median;
  // Each round pairs the two measurements under the same background load.
  std::vector<double> round_ratios;
  for (size_t i = 0; i < hits.size(); ++i) round_ratios.push_back(hits[i] / ceiling[i]);
  const double round_ratio = median(round_ratios);
  std::printf("\n%-44s %14s\n", "concurrency 50, GET of a 128-byte value", "ops/s (median)");
  std::printf("%-44s %14.0f\n", "redis-benchmark -c 50 -t get (ceiling)", ceiling_median);
  std::printf("%-44s %14.0f\n", "Cache hit path, 50 threads, pool 50", hits_median);
  std::printf("%-44s %14.2fx   (goal >= 0.80x)\n", "ratio of the medians", ratio);
  std::printf("%-44s %14.2fx\n", "median of the per-round ratios", round_ratio);
  std::printf("\n%-44s %9s %9s\n", "one thread, 50-row results page", "p50 us", "p99 us");
  std::printf("%-44s %9.1f %9.1f\n", "Cache hit (zstd-compressed envelope)",
              percentile(hit_us, 0.5), percentile(hit_us, 0.99));
  std::printf("%-44s %9.1f %9.1f\n", "PostgreSQL query (prepared, pooled)", percentile(db_us, 0.5),
              percentile(db_us, 0.99));
  std::printf(
      "page: %zu bytes; cache stats: hits %llu, misses %llu, loads %llu, bytes saved %llu\n",
      page.size(), static_cast<unsigned long long>(s.hits),
      static_cast<unsigned long long>(s.misses), static_cast<unsigned long long>(s.loads),
      static_cast<unsigned long long>(s.bytes_saved));
  std::printf("medians of %d interleaved rounds of %ld operations; bench/results/cache.json\n",
              rounds, ops);

  std::ofstream json("bench/results/cache.json");
  json << "{\"rounds\": " << rounds << ", \"ops_per_round\": " << ops << ", \"concurrency\": 50"
       << ", \"redis_benchmark_get_ops\": [";
  for (size_t i = 0; i < ceiling.size(); ++i) json << (i ? ", " : "") << ceiling[i];
  json << "], \"cache_hit_ops\": [";
  for (size_t i = 0; i < hits.size(); ++i) json << (i ? ", " : "") << hits[i];
  json << "], \"redis_benchmark_get_ops_median\": " << ceiling_median
       << ", \"cache_hit_ops_median\": " << hits_median << ", \"ratio\": " << ratio
       << ", \"median_round_ratio\": " << round_ratio << ", \"page_bytes\": " << page.size()
       << ", \"hit_p50_us\": " << percentile(hit_us, 0.5)
       << ", \"hit_p99_us\": " << percentile(hit_us, 0.99)
       << ", \"db_p50_us\": " << percentile(db_us, 0.5)
       << ", \"db_p99_us\": " << percentile(db_us, 0.99) << "}\n";
  return 0;
}
