// Benchmark (not a test): full-text search and FTS index builds on BENCH_FTS_DOCS generated
// documents (default 200,000).
//
//  * Search latency (client wall time through the pool, medians of BENCH_ROUNDS interleaved
//    rounds): pgfast.fts_search for a rare term (~0.05% of documents) and a common one (~50%),
//    first page and a deep page (after BENCH_FTS_DEEP_PAGES pages of 20), against a plain
//    sequential `to_tsvector(...) @@ websearch_to_tsquery(...)` query with no index as baseline.
//  * Index build (BENCH_FTS_BUILD_ROUNDS rounds, blocking and concurrent alternately): the build
//    time of pgfast.fts_index without and with {"concurrently": true}, and the write throughput
//    of one writer inserting single rows meanwhile.
// Prints a table; writes bench/results/fts.json.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.hpp"
#include "pgfast/db/database.hpp"
#include "pgfast/db/indexes.hpp"
#include "pgfast/settings.hpp"

namespace {

using pgfast_bench::env_long;
using pgfast_bench::median;
using pgfast_bench::wall_ms;

constexpr int kPageSize = 20;

pgfast::FtsSearchRequest search(const std::string& term) {
  pgfast::FtsSearchRequest request;
  request.table = "bench_fts";
  request.query = term;
  request.page_size = kPageSize;
  return request;
}

struct BuildResult {
  double build_s = 0;
  double writes_per_s = 0;
  double longest_write_ms = 0;
};

// Builds the FTS index (dropping any previous one) while one writer inserts rows.
BuildResult build_with_writer(pgfast::Database& db, bool concurrently) {
  db.query("DROP INDEX IF EXISTS bench_fts_fts_idx");
  std::atomic<bool> stop{false};
  std::atomic<long> writes{0};
  double longest = 0;  // read after join
  std::thread writer([&] {
    pgfast::PooledConnection lease = db.acquire();
    while (!stop.load()) {
      double ms = wall_ms([&] {
        lease->execute(
            "INSERT INTO bench_fts (title, body) VALUES ('during build', 'written meanwhile')");
      });
      longest = std::max(longest, ms);
      ++writes;
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the writer is going
  long writes_before = writes.load();
  auto start = std::chrono::steady_clock::now();
  {
    pgfast::PooledConnection lease = db.acquire();
    std::string options = concurrently ? "{\"concurrently\": true}" : "{}";
    std::string name(
        lease
            ->execute("SELECT pgfast.fts_index('bench_fts', '{title, body}', 'english', "
                      "'{A,B}', $1::jsonb)",
                      pgfast::params(options))
            .get(0, 0));
    if (concurrently) {
      std::optional<std::int64_t> job = pgfast::index_job_id(*lease, name);
      if (!job || pgfast::wait_index_job(*lease, *job) != "done") {
        std::fprintf(stderr, "concurrent build failed\n");
      }
    }
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  long writes_during = writes.load() - writes_before;
  stop = true;
  writer.join();
  return {seconds, writes_during / seconds, longest};
}

}  // namespace

int main() {
  const long docs = env_long("BENCH_FTS_DOCS", 200000);
  const int rounds = static_cast<int>(env_long("BENCH_ROUNDS", 7));
  const int build_rounds = static_cast<int>(env_long("BENCH_FTS_BUILD_ROUNDS", 2));
  const long deep_pages = env_long("BENCH_FTS_DEEP_PAGES", 50);
  pgfast::Database db(pgfast::Settings::from_env());
  db.query("CREATE EXTENSION IF NOT EXISTS pgfast");
  db.query("DROP TABLE IF EXISTS bench_fts");
  std::fprintf(stderr, "loading %ld documents...\n", docs);
  db.query("CREATE TABLE bench_fts (id bigserial PRIMARY KEY, title text, body text)");
  // 12-word bodies from a 5000-word vocabulary; "common" in half the documents, "zebrafish" in
  // one of 2000.
  db.query(
      "INSERT INTO bench_fts (title, body) SELECT 'title w' || (g * 7 % 5000) || "
      "CASE WHEN g % 2000 = 0 THEN ' zebrafish' ELSE '' END, "
      "(SELECT string_agg('w' || ((g * 31 + k * 7919) % 5000), ' ') FROM generate_series(1, 12) k) "
      "|| CASE WHEN g % 2 = 0 THEN ' common' ELSE '' END "
      "FROM generate_series(1, $1::bigint) g",
      pgfast::params(docs));
  db.query("VACUUM ANALYZE bench_fts");

  // Index builds first (they also leave the index the searches use).
  std::vector<BuildResult> blocking;
  std::vector<BuildResult> concurrent;
  for (int r = 0; r < build_rounds; ++r) {
    std::fprintf(stderr, "build round %d/%d...\n", r + 1, build_rounds);
    blocking.push_back(build_with_writer(db, false));
    concurrent.push_back(build_with_writer(db, true));
  }
  // The searches run on the generated corpus only.
  db.query("DELETE FROM bench_fts WHERE title = 'during build'");
  db.query("VACUUM ANALYZE bench_fts");

  // Two storage modes of the document: the expression index the builds made, then a stored
  // generated tsvector column (ranking reads the stored vector instead of recomputing it per hit).
  const std::vector<std::string> terms = {"zebrafish", "common"};
  std::map<std::string, long> hits;
  for (const std::string& term : terms) {
    hits[term] = db.query(
                       "SELECT count(*) FROM bench_fts WHERE "
                       "to_tsvector('english', coalesce(title, '') || ' ' || body) @@ "
                       "websearch_to_tsquery('english', $1)",
                       pgfast::params(term))
                     .as<long>(0, 0);
  }
  std::map<std::string, std::vector<double>> samples;
  for (const std::string& mode : {std::string("expression"), std::string("generated column")}) {
    if (mode == "generated column") {
      std::fprintf(stderr, "adding the generated column...\n");
      db.query(
          "SELECT pgfast.fts_index('bench_fts', '{title, body}', 'english', '{A,B}', "
          "'{\"generated_column\": \"doc\"}')");
      db.query("VACUUM ANALYZE bench_fts");
    }
    // Deep-page cursors: walk BENCH_FTS_DEEP_PAGES pages once per term.
    std::map<std::string, std::optional<std::string>> deep_cursor;
    for (const std::string& term : terms) {
      pgfast::FtsSearchRequest request = search(term);
      for (long p = 0; p < deep_pages; ++p) {
        pgfast::FtsPage page = db.fts_search(request);
        if (!page.has_next) break;
        request.after = page.next_cursor;
      }
      deep_cursor[term] = request.after;
    }
    // Interleaved rounds: every case once per round.
    for (int r = 0; r < rounds; ++r) {
      for (const std::string& term : terms) {
        pgfast::FtsSearchRequest first = search(term);
        samples[term + ", " + mode + ", first page"].push_back(
            wall_ms([&] { db.fts_search(first); }));
        if (deep_cursor[term]) {
          pgfast::FtsSearchRequest deep = first;
          deep.after = deep_cursor[term];
          samples[term + ", " + mode + ", deep page"].push_back(
              wall_ms([&] { db.fts_search(deep); }));
        }
        if (mode != "expression") continue;
        // The same top 20 by rank without any index: to_tsvector on every row.
        samples[term + ", seq scan baseline"].push_back(wall_ms([&] {
          db.query(
              "SELECT id, ts_rank(v, q) AS rank FROM (SELECT id, "
              "setweight(to_tsvector('english', coalesce(title, '')), 'A') || "
              "setweight(to_tsvector('english', coalesce(body, '')), 'B') AS v, "
              "websearch_to_tsquery('english', $1) AS q FROM bench_fts OFFSET 0) s "
              "WHERE v @@ q ORDER BY rank DESC, id LIMIT 20",
              pgfast::params(term));
        }));
      }
    }
  }

  std::printf("\nfts_search latency, client wall time, median of %d rounds (%ld documents)\n",
              rounds, docs);
  std::printf("%-44s %10s\n", "case", "ms");
  for (const auto& [name, v] : samples) std::printf("%-44s %10.2f\n", name.c_str(), median(v));
  auto build_median = [](const std::vector<BuildResult>& v, double BuildResult::*field) {
    std::vector<double> xs;
    for (const BuildResult& b : v) xs.push_back(b.*field);
    return median(xs);
  };
  std::printf("\nFTS index build with one writer inserting rows, median of %d rounds\n",
              build_rounds);
  std::printf("%-12s %10s %16s %18s\n", "build", "seconds", "writes/s during", "longest write ms");
  for (auto [label, v] :
       {std::make_pair("blocking", &blocking), std::make_pair("concurrent", &concurrent)}) {
    std::printf("%-12s %10.2f %16.1f %18.1f\n", label, build_median(*v, &BuildResult::build_s),
                build_median(*v, &BuildResult::writes_per_s),
                build_median(*v, &BuildResult::longest_write_ms));
  }

  std::ofstream json("bench/results/fts.json");
  json << "{\"documents\": " << docs << ", \"rounds\": " << rounds
       << ", \"page_size\": " << kPageSize << ", \"deep_pages\": " << deep_pages
       << ", \"hits\": {\"zebrafish\": " << hits["zebrafish"] << ", \"common\": " << hits["common"]
       << "}, \"latency_ms\": {";
  bool first = true;
  for (const auto& [name, v] : samples) {
    json << (first ? "" : ", ") << "\"" << name << "\": " << median(v);
    first = false;
  }
  json << "}, \"build\": {";
  first = true;
  for (auto [label, v] :
       {std::make_pair("blocking", &blocking), std::make_pair("concurrent", &concurrent)}) {
    json << (first ? "" : ", ") << "\"" << label
         << "\": {\"seconds\": " << build_median(*v, &BuildResult::build_s)
         << ", \"writes_per_s\": " << build_median(*v, &BuildResult::writes_per_s)
         << ", \"longest_write_ms\": " << build_median(*v, &BuildResult::longest_write_ms) << "}";
    first = false;
  }
  json << "}}\n";
  std::printf("\nhits: zebrafish %ld, common %ld; bench/results/fts.json\n", hits["zebrafish"],
              hits["common"]);
  return 0;
}
