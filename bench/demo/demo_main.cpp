// `make demo`: the reference application's workload on PostgreSQL + pgfast + Redis through the
// client library, measured and printed next to the reference application's own figures.
//
//   pgfast_demo [--scale X] [--seed N] [--users-seconds S] [--results DIR] [--schema DIR]
//
// Phases: schema + index plan (applied twice), sessions/queries/results, scraping (pages stored
// with a bulk upsert into the FTS-indexed website_content), text analysis (nouns + entities bulk
// insert), API reads cold and cached, 100 concurrent users, network generation (GEXF), slow-query
// statistics. Writes DIR/demo.json and DIR/network.gexf (DIR defaults to bench/results).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <random>
#include <string>
#include <sys/stat.h>

#include "api_reads.hpp"
#include "corpus/corpus.hpp"
#include "latency.hpp"
#include "network.hpp"
#include "pgfast/database.hpp"
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
    LoadResult pages = store_pages(db, corpus, 2, 200);
    report.add(
        {"scraping rate", "pages/s", Better::higher, 10, 15, pages.rate(),
         std::to_string(pages.rows) + " pages (avg " +
             std::to_string(
                 db.query("SELECT avg(length(content))::int FROM website_content").as<int>(0, 0)) +
             " bytes) by 2 scrapers in batches of 200, GIN full-text index maintained"});

    phase("text analysis: nouns + entities (BulkWriter insert)");
    LoadResult analysis = store_analysis(db, corpus);
    report.add({"bulk insert", "records/s", Better::higher, 1000, 2000, analysis.rate(),
                std::to_string(analysis.rows) + " nouns + entities, 2 streams; also " +
                    std::to_string(sessions.rows) + " sessions/queries/results at " +
                    std::to_string(static_cast<long>(sessions.rate())) + " rows/s"});
    db.query("ANALYZE");

    phase("API reads: a session's results page (pgfast.page), cold");
    std::mt19937_64 rng(options.seed);
    std::uniform_int_distribution<std::int64_t> any_query(
        1, static_cast<std::int64_t>(size.queries()));
    LatencyRecorder cold =
        time_reads("results page", 1000, [&](int) { results_page(db, any_query(rng)); });
    report.add({"API response time (p50, uncached)", "ms", Better::lower, 200, 80,
                cold.percentile(50),
                "p95 " + std::to_string(cold.percentile(95)) + " ms over " +
                    std::to_string(cold.count()) + " results-page reads through the pool"});

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
    double network_seconds = seconds_since(network_start);
    std::fprintf(stderr, "  %zu nodes, %zu edges -> %s\n", network.nodes.size(),
                 network.edges.size(), gexf_path.c_str());
    report.add({"network generation (1000 nodes)", "s", Better::lower, 30, 25, network_seconds,
                std::to_string(network.nodes.size()) + " nodes, " +
                    std::to_string(network.edges.size()) +
                    " edges, SQL aggregation + GEXF written to " + gexf_path});

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
