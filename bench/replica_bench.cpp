// Benchmark (not a test): reads/s with the primary alone vs primary + one streaming replica, under
// the demo's reader mix (bench/demo/concurrent_users.cpp): 30% a session by id, 35% a results
// page (pgfast.page), 25% a content search (pgfast.fts_search), 10% a write transaction on the
// primary. Every read goes through the read API (ReadOptions): with no replica configured that is
// the primary, so the two runs differ only in routing.
//
// Run by `make bench` inside scripts/with-replica (DATABASE_URL, DATABASE_REPLICA_URL).
// BENCH_ROUNDS (default 3) interleaved rounds of BENCH_SECONDS (default 5) per configuration, at
// BENCH_THREADS (default 16) threads. On one machine both servers share the cores: this measures
// the routing's overhead and the lag seen, not scaling. Prints medians, the ratio, the replica's
// share of the reads and the largest lag the client measured; writes bench/results/replica.json.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.hpp"
#include "pgfast/db/database.hpp"

namespace {

using namespace std::chrono_literals;
using pgfast_bench::env_long;
using pgfast_bench::median;
using Clock = std::chrono::steady_clock;

constexpr int kSessions = 5000;
constexpr int kQueries = 500;
constexpr int kWords = 1000;  // content words "w0".."w999": a search matches ~120 of 3000 pages

void create_data(pgfast::Database& db) {
  db.query("CREATE EXTENSION IF NOT EXISTS pgfast");
  db.query("DROP TABLE IF EXISTS rb_sessions, rb_results, rb_content");
  db.query(
      "CREATE TABLE rb_sessions (id bigint PRIMARY KEY, name text NOT NULL, updated_at "
      "timestamptz NOT NULL DEFAULT now())");
  db.query("INSERT INTO rb_sessions (id, name) SELECT g, 'session ' || g FROM generate_series(1, " +
           std::to_string(kSessions) + ") g");
  db.query(
      "CREATE TABLE rb_results (id bigserial PRIMARY KEY, query_id int NOT NULL, rank int NOT "
      "NULL, title text NOT NULL)");
  db.query(
      "INSERT INTO rb_results (query_id, rank, title) SELECT q, r, 'result ' || q || '/' || r "
      "FROM generate_series(1, " +
      std::to_string(kQueries) + ") q, generate_series(1, 50) r");
  db.query("CREATE INDEX ON rb_results (query_id, rank)");
  db.query("CREATE TABLE rb_content (id int PRIMARY KEY, content text NOT NULL)");
  db.query(
      "INSERT INTO rb_content SELECT g, (SELECT string_agg('w' || ((g * 7919 + w * 104729) % " +
      std::to_string(kWords) +
      "), ' ') FROM generate_series(1, 40) w) || ' page ' || g FROM generate_series(1, 3000) g");
  db.query("SELECT pgfast.fts_index('rb_content', '{content}')");
  db.query("ANALYZE");
}

struct Run {
  double reads_per_s = 0;
  double writes_per_s = 0;
  double replica_share = 0;  // of the reads
  long max_lag_ms = 0;
};

Run run(pgfast::Database& db, int threads, std::chrono::seconds duration) {
  std::atomic<long> reads{0}, writes{0}, errors{0};
  std::atomic<bool> done{false};
  const auto servers_before = db.server_stats();
  long max_lag = 0;
  // The lag the client itself measured, sampled while the readers run.
  std::thread monitor([&] {
    while (!done.load()) {
      for (const auto& s : db.server_stats()) {
        if (s.role == pgfast::ServerRole::replica && s.lag) {
          max_lag = std::max<long>(max_lag, static_cast<long>(s.lag->count()));
        }
      }
      std::this_thread::sleep_for(20ms);
    }
  });
  const auto start = Clock::now();
  const auto deadline = start + duration;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      std::mt19937_64 rng(0xbe9c0000ULL + static_cast<unsigned>(t));
      const pgfast::ReadOptions read;
      while (Clock::now() < deadline) {
        const unsigned action = static_cast<unsigned>(rng() % 100);
        try {
          if (action < 30) {
            db.read_query("SELECT to_jsonb(s)::text FROM rb_sessions s WHERE id = $1",
                          pgfast::params(static_cast<long>(1 + rng() % kSessions)), read);
          } else if (action < 65) {
            pgfast::PageRequest page;
            page.source = "rb_results";
            page.order_by = "rank";
            page.page_size = 20;
            page.filter = "{\"query_id\": " + std::to_string(1 + rng() % kQueries) + "}";
            db.page(page, read);
          } else if (action < 90) {
            pgfast::FtsSearchRequest search;
            search.table = "rb_content";
            search.query = "w" + std::to_string(rng() % kWords);
            search.page_size = 20;
            db.fts_search(search, read);
          } else {
            const long id = static_cast<long>(1 + rng() % kSessions);
            db.transaction([&](pgfast::Connection& c) {
              c.execute("UPDATE rb_sessions SET name = $2, updated_at = now() WHERE id = $1",
                        pgfast::params(id, "renamed " + std::to_string(rng() % 1000)));
            });
            ++writes;
            continue;
          }
          ++reads;
        } catch (const std::exception& e) {
          if (errors++ == 0) std::fprintf(stderr, "  error: %s\n", e.what());
        }
      }
    });
  }
  for (auto& w : workers) w.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  done = true;
  monitor.join();
  const auto servers_after = db.server_stats();
  std::uint64_t on_replica = 0, all = 0;
  for (std::size_t i = 0; i < servers_after.size(); ++i) {
    const std::uint64_t served = servers_after[i].reads - servers_before[i].reads;
    all += served;
    if (servers_after[i].role == pgfast::ServerRole::replica) on_replica += served;
  }
  if (errors.load() > 0) std::fprintf(stderr, "  %ld errors\n", errors.load());
  Run r;
  r.reads_per_s = static_cast<double>(reads.load()) / seconds;
  r.writes_per_s = static_cast<double>(writes.load()) / seconds;
  r.replica_share = all > 0 ? static_cast<double>(on_replica) / static_cast<double>(all) : 0;
  r.max_lag_ms = max_lag;
  return r;
}

}  // namespace

int main() {
  const char* primary_url = std::getenv("DATABASE_URL");
  const char* replica_url = std::getenv("DATABASE_REPLICA_URL");
  if (primary_url == nullptr || replica_url == nullptr) {
    std::fprintf(stderr, "replica bench: run it inside scripts/with-replica\n");
    return 2;
  }
  const int rounds = static_cast<int>(env_long("BENCH_ROUNDS", 3));
  const auto seconds = std::chrono::seconds(env_long("BENCH_SECONDS", 5));
  const int threads = static_cast<int>(env_long("BENCH_THREADS", 16));
  try {
    pgfast::DatabaseOptions alone_options;
    alone_options.url = primary_url;
    alone_options.pool_size = threads;
    alone_options.max_overflow = 0;
    pgfast::DatabaseOptions with_options = alone_options;
    with_options.replica_urls = {replica_url};
    pgfast::Database alone(alone_options);
    pgfast::Database with_replica(with_options);
    create_data(alone);
    // The replica has the data before the first round.
    pgfast::ReadOptions caught_up;
    caught_up.after = alone.commit_position();
    caught_up.replay_wait = 60s;
    with_replica.read_query("SELECT 1", {}, caught_up);

    std::vector<double> alone_rps, with_rps, ratios, shares;
    long max_lag = 0;
    std::printf("%-8s %14s %14s %8s %14s %12s\n", "round", "primary r/s", "+replica r/s", "ratio",
                "replica share", "max lag ms");
    for (int round = 1; round <= rounds; ++round) {
      const Run a = run(alone, threads, seconds);
      const Run w = run(with_replica, threads, seconds);
      alone_rps.push_back(a.reads_per_s);
      with_rps.push_back(w.reads_per_s);
      ratios.push_back(w.reads_per_s / a.reads_per_s);
      shares.push_back(w.replica_share);
      max_lag = std::max(max_lag, w.max_lag_ms);
      std::printf("%-8d %14.0f %14.0f %8.2f %13.0f%% %12ld\n", round, a.reads_per_s, w.reads_per_s,
                  w.reads_per_s / a.reads_per_s, 100 * w.replica_share, w.max_lag_ms);
    }
    const double ratio = median(ratios);
    std::printf(
        "median: primary alone %.0f reads/s, primary + replica %.0f reads/s, ratio %.2f; replica "
        "served %.0f%% of the reads; largest lag measured %ld ms (bound %lld ms)\n",
        median(alone_rps), median(with_rps), ratio, 100 * median(shares), max_lag,
        static_cast<long long>(with_options.max_replica_lag.count()));
    std::ofstream json("bench/results/replica.json");
    json << "{\"threads\": " << threads << ", \"seconds\": " << seconds.count()
         << ", \"rounds\": " << rounds << ", \"primary_reads_per_s\": " << median(alone_rps)
         << ", \"with_replica_reads_per_s\": " << median(with_rps)
         << ", \"replica_share\": " << median(shares) << ", \"max_lag_ms\": " << max_lag
         << ", \"ratios\": [{\"name\": \"reads/s primary + replica vs primary alone (demo reader "
            "mix, "
         << threads << " threads, max lag seen " << max_lag
         << " ms)\", \"pgfast\": " << median(with_rps) << ", \"baseline\": " << median(alone_rps)
         << ", \"unit\": \"reads/s\", \"ratio\": " << ratio
         << ", \"goal\": null, \"better\": \"higher\"}]}\n";
    std::printf("bench/results/replica.json\n");
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "replica bench: %s\n", e.what());
    return 1;
  }
}
