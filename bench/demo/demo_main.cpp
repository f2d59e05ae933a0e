// `make demo`: the reference application's workload on PostgreSQL + pgfast + Redis through the
// client library, measured and printed next to the reference application's own figures.
//
//   pgfast_demo [--scale X] [--seed N] [--users-seconds S] [--results DIR] [--schema DIR]
//
// Phases: schema + index plan (applied twice), sessions/queries/results, scraping (pages stored
// with a bulk upsert into the FTS-indexed website_content), text analysis (nouns + entities bulk
// insert), API reads cold and cached, 100 concurrent users, network generation (GEXF), slow-query
// statistics. Writes DIR/demo.json and DIR/network.gexf (DIR defaults to bench/results).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <random>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include "api_reads.hpp"
#include "concurrent_users.hpp"
#include "corpus/corpus.hpp"
#include "latency.hpp"
#include "network.hpp"
#include "pgfast/cache/cache.hpp"
#include "pgfast/db/database.hpp"
#include "pgfast/cache/invalidator.hpp"
#include "pgfast/ratelimit/rate_limiter.hpp"
#include "pgfast/redis/redis.hpp"
#include "pgfast/settings.hpp"
#include "progress.hpp"
#include "reference_data.hpp"
#include "report.hpp"

#ifndef PGFAST_BENCH_SCHEMA_DIR
#error "PGFAST_BENCH_SCHEMA_DIR must name bench/schema"
#endif

namespace {

struct Options {
  double scale = 1.0;
  std::uint64_t seed = 42;
  int users_seconds = 10;
  std::string results_dir = "bench/results";
  std::string schema_dir = PGFAST_BENCH_SCHEMA_DIR;
};

Options parse_options(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--scale") {
      o.scale = std::stod(value());
      if (!(o.scale > 0)) throw std::invalid_argument("--scale must be > 0");
    } else if (arg == "--seed") {
      o.seed = std::stoull(value());
    } else if (arg == "--users-seconds") {
      o.users_seconds = std::stoi(value());
    } else if (arg == "--results") {
      o.results_dir = value();
    } else if (arg == "--schema") {
      o.schema_dir = value();
    } else {
      throw std::invalid_argument("unknown argument " + arg +
                                  " (usage: pgfast_demo [--scale X] [--seed N] "
                                  "[--users-seconds S] [--results DIR] [--schema DIR])");
    }
  }
  return o;
}

void phase(const char* title) {
  std::fprintf(stderr, "\n== %s\n", title);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace pgfast_demo;
  try {
    Options options = parse_options(argc, argv);
    pgfast::Settings settings = pgfast::Settings::from_env();
    pgfast::Database db(settings);
    db.query("CREATE EXTENSION IF NOT EXISTS pgfast");
    pgfast_bench::Corpus corpus(options.seed, pgfast_bench::CorpusSize::scaled(options.scale));
    const auto& size = corpus.size();
    Report report;
    report.set_info("server", std::string(db.query("SELECT version()").get(0, 0)));
    report.set_info("pgfast", std::string(db.query("SELECT pgfast.version()").get(0, 0)));
    report.set_info("scale", std::to_string(options.scale));
    report.set_info("seed", std::to_string(options.seed));
    report.set_info("pool", std::to_string(settings.database_pool_size) + " + " +
                                std::to_string(settings.database_max_overflow) + " overflow");
    report.set_info("read replicas", std::to_string(settings.database_replica_urls.size()));
    ::mkdir(options.results_dir.c_str(), 0755);

    phase("schema: 8 tables, index plan through pgfast.ensure_index / pgfast.fts_index (twice)");
    SchemaResult schema = create_reference_schema(db, options.schema_dir);
    std::fprintf(stderr, "  %d plan statements; indexes after first pass %d, after second %d\n",
                 schema.plan_statements, schema.indexes_first, schema.indexes_second);
    if (schema.indexes_first != schema.indexes_second) {
      throw std::runtime_error("applying the index plan twice changed the indexes");
    }
    report.note("- schema: 8 tables, " + std::to_string(schema.indexes_first) +
                " indexes; the index plan (" + std::to_string(schema.plan_statements) +
                " declarations) applied twice, no change the second time");

    phase("sessions, queries, results (BulkWriter)");
    LoadResult sessions = load_sessions(db, corpus);

    phase("scraping: pages stored with bulk upsert into FTS-indexed website_content");
    std::vector<pgfast_bench::PageRow> generated = generate_pages(corpus);
    LoadResult pages = store_pages(db, generated, 2, 200);
    report.add(
        {"scraping rate", "pages/s", Better::higher, 10, 15, pages.rate(),
         std::to_string(pages.rows) + " pages (avg " +
             std::to_string(
                 db.query("SELECT avg(length(content))::int FROM website_content").as<int>(0, 0)) +
             " bytes) by 2 scrapers in batches of 200, GIN full-text index maintained"});

    phase("text analysis: nouns + entities (BulkWriter insert)");
    LoadResult analysis = store_analysis(db, corpus, generated);
    generated.clear();
    generated.shrink_to_fit();
    report.add({"bulk insert", "records/s", Better::higher, 1000, 2000, analysis.rate(),
                std::to_string(analysis.rows) + " nouns + entities, 2 streams; also " +
                    std::to_string(sessions.rows) + " sessions/queries/results at " +
                    std::to_string(static_cast<long>(sessions.rate())) + " rows/s"});
    db.query("ANALYZE");
    if (!settings.database_replica_urls.empty()) {
      // Reads below may go to a replica: let it catch up with the loads first (its lag is not
      // known until a check finds it past a sampled position: tries for up to 5 minutes).
      pgfast::ReadOptions caught_up;
      caught_up.after = db.commit_position();
      caught_up.replay_wait = std::chrono::seconds(1);
      caught_up.max_lag = std::chrono::hours(1);
      bool on_replica = false;
      const auto give_up = std::chrono::steady_clock::now() + std::chrono::minutes(5);
      while (!on_replica && std::chrono::steady_clock::now() < give_up) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));  // pacing the checks
        on_replica = db.read(
            [](pgfast::Connection& c) {
              return c.execute("SELECT pg_is_in_recovery()").as<bool>(0, 0);
            },
            caught_up);
      }
      std::fprintf(stderr, "  read replica %s\n",
                   on_replica ? "caught up with the loads" : "not available: reads on the primary");
    }

    // Redis: one pool shared by the cache and the rate limiter; the database tells the cache
    // when a session changes.
    pgfast::Redis redis(settings);
    report.set_info("redis", redis.cluster()
                                 ? "Redis Cluster, " + std::to_string(redis.masters().size()) +
                                       " masters (REDIS_CLUSTER_NODES)"
                                 : "one server (REDIS_URL)");
    pgfast::Cache cache(redis, pgfast::CacheOptions::from_settings(settings));
    cache.delete_pattern("*");  // this run's namespace only (io:*), never the whole Redis database
    db.query("SELECT pgfast.notify_changes('search_sessions')");
    pgfast::InvalidatorOptions invalidator_options;
    invalidator_options.database_url = settings.database_url;
    // The invalidator's events, counted, so each UPDATE below can wait for the one it causes.
    std::mutex event_mutex;
    std::condition_variable event_cv;
    std::uint64_t events_seen = 0;
    pgfast::Invalidator invalidator(cache, invalidator_options);
    invalidator.watch("search_sessions", {"session:{id}"});
    invalidator.on_event([&](const pgfast::InvalidationEvent& event) {
      {
        std::lock_guard<std::mutex> lock(event_mutex);
        events_seen = event.sequence;
      }
      event_cv.notify_all();
    });
    invalidator.start();
    ApiReads uncached(db, std::nullopt);
    ApiReads cached(db, cache);

    std::mt19937_64 rng(options.seed);
    std::uniform_int_distribution<std::int64_t> any_query(
        1, static_cast<std::int64_t>(size.queries()));
    std::vector<std::string> terms;
    for (std::uint64_t i = 0; i < 200; ++i) terms.push_back(corpus.search_terms(i));

    phase("API reads: results page (pgfast.page) and content search (pgfast.fts_search), cold");
    LatencyRecorder cold_page = time_reads("results page, uncached", 1000,
                                           [&](int) { uncached.results_page(any_query(rng)); });
    LatencyRecorder cold_search = time_reads("content search, uncached", 400, [&](int i) {
      uncached.content_search(terms[static_cast<std::size_t>(i) % terms.size()]);
    });
    phase("API reads: the same requests through the Redis cache (first call loads, then hits)");
    for (std::int64_t q = 1; q <= 200; ++q) cached.results_page(q);
    for (const auto& t : terms) cached.content_search(t);
    LatencyRecorder hot_page =
        time_reads("results page, cached", 2000, [&](int i) { cached.results_page(1 + i % 200); });
    LatencyRecorder hot_search = time_reads("content search, cached", 2000, [&](int i) {
      cached.content_search(terms[static_cast<std::size_t>(i) % terms.size()]);
    });
    LatencyRecorder cold_all = cold_page, hot_all = hot_page;
    cold_all.merge(cold_search);
    hot_all.merge(hot_search);
    char api_detail[512];
    std::snprintf(api_detail, sizeof api_detail,
                  "results page p50/p95 %.2f/%.2f ms, content search p50/p95 %.2f/%.2f ms "
                  "(%zu + %zu reads through the pool)",
                  cold_page.percentile(50), cold_page.percentile(95), cold_search.percentile(50),
                  cold_search.percentile(95), cold_page.count(), cold_search.count());
    // The original's "~80 ms" is a typical response time: compared with the median; the p95
    // of every read is in the detail and must also be under the 200 ms target.
    std::string cold_p95 = "; all reads p95 " + decimal(cold_all.percentile(95), 2) + " ms";
    report.add({"API response time, uncached (p50)", "ms", Better::lower, 200, 80,
                cold_all.percentile(95) < 200 ? cold_all.percentile(50) : cold_all.percentile(95),
                api_detail + cold_p95});
    std::snprintf(
        api_detail, sizeof api_detail,
        "results page p50/p95 %.3f/%.3f ms, content search p50/p95 %.3f/%.3f ms (Redis hits)",
        hot_page.percentile(50), hot_page.percentile(95), hot_search.percentile(50),
        hot_search.percentile(95));
    report.add({"API response time, cached (p50)", "ms", Better::lower, 200, 80,
                hot_all.percentile(95) < 200 ? hot_all.percentile(50) : hot_all.percentile(95),
                api_detail + ("; all reads p95 " + decimal(hot_all.percentile(95), 2) + " ms")});

    phase("cache invalidation driven by the database (UPDATE committed -> cached session gone)");
    LatencyRecorder invalidation;
    for (std::int64_t id = 1; id <= 50; ++id) {
      cached.session(id);
      std::unique_lock<std::mutex> events_lock(event_mutex);
      const std::uint64_t seen = events_seen;
      events_lock.unlock();
      auto begin = std::chrono::steady_clock::now();
      db.query("UPDATE search_sessions SET updated_at = now() WHERE id = $1", pgfast::params(id));
      events_lock.lock();
      const bool heard = event_cv.wait_for(events_lock, std::chrono::seconds(5),
                                           [&] { return events_seen > seen; });
      events_lock.unlock();
      if (!heard || cache.exists("session:" + std::to_string(id))) {
        throw std::runtime_error("the cached session " + std::to_string(id) +
                                 " was not invalidated after its UPDATE committed");
      }
      invalidation.add(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - begin)
              .count());
    }
    cached.after_write();  // the sessions just updated are reloaded after these writes
    report.note(
        "- cache invalidation from the database: UPDATE commit -> cached key deleted in p50 " +
        decimal(invalidation.percentile(50), 2) + " ms, p95 " +
        decimal(invalidation.percentile(95), 2) + " ms (50 sessions; the original had TTL only)");

    phase("100 concurrent users (pool 20 + 10 overflow, rate-limited per user)");
    pgfast::RateLimiterOptions per_user = pgfast::RateLimiterOptions::from_settings(settings);
    per_user.scope = "demo-user-" + std::to_string(::getpid());  // a fresh budget per run
    // The simulated users click every ~20 ms, far faster than people: their limit is scaled to
    // that pace so the phase measures the stack, while the bot below meets the real limits.
    per_user.limits = pgfast::parse_limits("6000/minute;50/second");
    pgfast::RateLimiter user_limiter(redis, per_user);
    pgfast::CacheStats before = cache.stats();
    UsersResult users = run_users(db, cached, user_limiter, corpus, 100,
                                  std::chrono::seconds(options.users_seconds), 20, "100 users");
    pgfast::CacheStats after = cache.stats();
    double hits = static_cast<double>(after.hits - before.hits);
    double misses = static_cast<double>(after.misses - before.misses);
    char users_detail[512];
    std::snprintf(
        users_detail, sizeof users_detail,
        "%.0f requests/s served, p95 %.1f ms, %llu errors, %llu writes, %llu denied (429); "
        "cache hit rate %.1f%%",
        users.requests_per_second(), users.latency.percentile(95),
        static_cast<unsigned long long>(users.errors),
        static_cast<unsigned long long>(users.writes),
        static_cast<unsigned long long>(users.denied), 100 * hits / std::max(1.0, hits + misses));
    if (users.errors > 0) std::fprintf(stderr, "  first error: %s\n", users.first_error.c_str());

    phase("1000 concurrent users, thinking 0.5 s between requests");
    UsersResult many = run_users(db, cached, user_limiter, corpus, 1000,
                                 std::chrono::seconds(options.users_seconds), 500, "1000 users");
    if (many.errors > 0) std::fprintf(stderr, "  first error: %s\n", many.first_error.c_str());
    const bool many_ok = many.errors == 0 && many.latency.percentile(95) < 200;
    char many_detail[256];
    std::snprintf(many_detail, sizeof many_detail,
                  "; 1000 users: %.0f requests/s, p95 %.1f ms, %llu errors",
                  many.requests_per_second(), many.latency.percentile(95),
                  static_cast<unsigned long long>(many.errors));
    report.add(
        {"concurrent users (p95 < 200 ms, 0 errors)", "users", Better::higher, 100, 100,
         users.errors == 0 && users.latency.percentile(95) < 200 ? (many_ok ? 1000.0 : 100.0) : 0.0,
         std::string("100 users: ") + users_detail + many_detail});

    if (!settings.database_replica_urls.empty()) {
      std::string servers = "- reads through the read API by server:";
      for (const pgfast::ServerStats& s : db.server_stats()) {
        servers += " " + s.name +
                   (s.role == pgfast::ServerRole::primary ? " (primary) " : " (replica) ") +
                   std::to_string(s.reads);
        if (s.role == pgfast::ServerRole::replica) {
          servers += s.lag ? ", lag at the last check " + std::to_string(s.lag->count()) + " ms"
                           : ", lag unknown";
        }
        servers += ";";
      }
      report.note(servers);
    }

    phase(
        "rate limiter: an anonymous bot hammering search (the reference limit, 10/minute per IP)");
    pgfast::RateLimiter search_limiter(redis,
                                       pgfast::RateLimiterOptions::named("search", settings));
    std::string bot = pgfast::rate_limit_identity(std::nullopt, "203.0.113.7");
    search_limiter.reset(bot);
    std::uint64_t bot_allowed = 0, bot_denied = 0;
    auto limiter_start = std::chrono::steady_clock::now();
    std::vector<std::thread> bots;
    std::atomic<std::uint64_t> decisions{0};
    for (int t = 0; t < 8; ++t) {
      bots.emplace_back([&] {
        for (int i = 0; i < 2000; ++i) {
          search_limiter.check(bot);
          ++decisions;
        }
      });
    }
    for (auto& b : bots) b.join();
    double limiter_seconds = seconds_since(limiter_start);
    pgfast::RateLimiterStats limiter_stats = search_limiter.stats();
    bot_allowed = limiter_stats.allowed;
    bot_denied = limiter_stats.denied;
    report.add({"rate limiter decisions", "decisions/s", Better::higher, 0, 0,
                static_cast<double>(decisions.load()) / limiter_seconds,
                std::to_string(bot_allowed) + " allowed, " + std::to_string(bot_denied) +
                    " denied for one IP at 10/minute (8 threads, GCRA in Redis); users phase: " +
                    std::to_string(users.denied + many.denied) + " denied"});
    report.add({"cache hit rate (users phase)", "%", Better::higher, 0, 0,
                100 * hits / std::max(1.0, hits + misses),
                std::to_string(static_cast<long long>(hits)) + " hits, " +
                    std::to_string(static_cast<long long>(misses)) + " misses"});

    phase("network generation: 1000-node website-noun network");
    auto network_start = std::chrono::steady_clock::now();
    Network network = build_network(db, 200, 800);
    std::string gexf = to_gexf(network, "pgfast demo: website-noun co-occurrence");
    std::string gexf_path = options.results_dir + "/network.gexf";
    std::ofstream(gexf_path) << gexf;
    db.query(
        "INSERT INTO network_exports (session_id, name, network_type, parameters, node_count, "
        "edge_count, file_path, status, completed_at) VALUES (1, 'demo network', 'website_noun', "
        "'{\"sites\": 200, \"nouns\": 800}', $1, $2, $3, 'completed', now())",
        pgfast::params(static_cast<long>(network.nodes.size()),
                       static_cast<long>(network.edges.size()), gexf_path));
    cache.set("network:1:website_noun", gexf);
    double network_seconds = seconds_since(network_start);
    LatencyRecorder network_hit;
    network_hit.time([&] { return cache.get("network:1:website_noun"); });
    std::fprintf(stderr, "  %zu nodes, %zu edges -> %s\n", network.nodes.size(),
                 network.edges.size(), gexf_path.c_str());
    report.add({"network generation (1000 nodes)", "s", Better::lower, 30, 25, network_seconds,
                std::to_string(network.nodes.size()) + " nodes, " +
                    std::to_string(network.edges.size()) +
                    " edges, SQL aggregation + GEXF written to " + gexf_path + " and cached (" +
                    std::to_string(gexf.size() / 1024) + " KB; served again from Redis in " +
                    decimal(network_hit.percentile(50), 2) + " ms)"});

    phase("slow queries seen by pgfast during the run");
    pgfast::Result slow = db.query(
        "SELECT calls, round(total_ms::numeric, 1), round(p95_ms::numeric, 1), "
        "left(regexp_replace(query, '\\s+', ' ', 'g'), 90) FROM pgfast.slow_query_stats "
        "ORDER BY total_ms DESC LIMIT 5");
    report.note("\nslowest statements (pgfast.slow_query_stats, threshold " +
                std::string(db.query("SHOW pgfast.slow_query_ms").get(0, 0)) + "):");
    for (int i = 0; i < slow.rows(); ++i) {
      report.note("  " + std::string(slow.get(i, 0)) + " calls, total " +
                  std::string(slow.get(i, 1)) + " ms, p95 " + std::string(slow.get(i, 2)) +
                  " ms: " + std::string(slow.get(i, 3)));
    }

    report.print();
    report.write_json(options.results_dir + "/demo.json");
    std::printf("\nresults: %s/demo.json, %s\n", options.results_dir.c_str(), gexf_path.c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pgfast demo: %s\n", e.what());
    return 1;
  }
}
