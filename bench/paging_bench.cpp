// Benchmark (not a test): keyset pages (pgfast.page) against OFFSET at increasing depth, on a
// table of BENCH_PAGING_ROWS rows (default 2,000,000) with an index matching the order.
//
// For each depth (0, 10k, 100k, 1M, last page) and each of BENCH_ROUNDS interleaved rounds:
//   server: EXPLAIN (ANALYZE, TIMING OFF) execution time of SELECT pgfast.page(...) vs the plain
//   OFFSET query; client: wall time of Database::page vs the OFFSET query through the same pool.
// Prints medians and ratios; writes bench/results/paging.json.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bench_util.hpp"
#include "pgfast/database.hpp"
#include "pgfast/settings.hpp"

namespace {

using pgfast_bench::env_long;
using pgfast_bench::median;
using pgfast_bench::wall_ms;

constexpr int kPageSize = 50;
constexpr char kOrder[] = "created_at DESC";

double execution_ms(pgfast::Database& db, const std::string& sql, const pgfast::Params& params) {
  pgfast::Result r = db.query("EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) " + sql, params);
  std::string json(r.get(0, 0));
  auto pos = json.find("\"Execution Time\": ");
  return pos == std::string::npos ? -1 : std::stod(json.substr(pos + 18));
}

}  // namespace

int main() {
  const long rows = env_long("BENCH_PAGING_ROWS", 2000000);
  const int rounds = static_cast<int>(env_long("BENCH_ROUNDS", 7));
  pgfast::Database db(pgfast::Settings::from_env());
  db.query("CREATE EXTENSION IF NOT EXISTS pgfast");
  db.query("DROP TABLE IF EXISTS bench_pages");
  std::fprintf(stderr, "loading %ld rows...\n", rows);
  db.query(
      "CREATE TABLE bench_pages (id bigint PRIMARY KEY, created_at timestamptz NOT NULL, "
      "title text NOT NULL, score int NOT NULL)");
  db.query(
      "INSERT INTO bench_pages SELECT g, timestamptz '2024-01-01' + (g / 3) * interval '1 ms', "
      "'title ' || g, g % 1000 FROM generate_series(1, $1::bigint) g",
      pgfast::params(rows));
  db.query("CREATE INDEX bench_pages_created ON bench_pages (created_at DESC, id)");
  db.query("VACUUM ANALYZE bench_pages");

  // Cursors at each depth (10k, 100k, 1M, and just before the last page): one server-side walk
  // with pages of 500, then of 50 near the end.
  std::vector<long> depths = {0};
  for (long d : {10000L, 100000L, 1000000L}) {
    if (d < rows) depths.push_back(d);
  }
  const long last_depth = ((rows - 1) / kPageSize) * kPageSize;
  depths.push_back(last_depth);
  std::fprintf(stderr, "collecting cursors (one walk of %ld rows)...\n", last_depth);
  std::map<long, std::string> cursors;
  {
    pgfast::Lease lease = db.acquire();
    lease->execute("CREATE TEMP TABLE bench_cursors (depth bigint, cursor text)");
    const std::string order = std::string("'") + kOrder + "'";
    lease->execute(
        "DO $$ DECLARE p jsonb; seen bigint := 0; size int; BEGIN "
        "p := pgfast.page('bench_pages', " +
        order +
        ", 500); "
        "LOOP seen := seen + jsonb_array_length(p -> 'items'); "
        "IF seen IN (10000, 100000, 1000000) OR seen = " +
        std::to_string(last_depth) +
        " THEN "
        "INSERT INTO bench_cursors VALUES (seen, p ->> 'next_cursor'); END IF; "
        "EXIT WHEN NOT (p ->> 'has_next')::bool OR seen >= " +
        std::to_string(last_depth) +
        "; "
        "size := CASE WHEN seen + 500 > " +
        std::to_string(last_depth) + " THEN " + std::to_string(kPageSize) +
        " ELSE 500 END; "
        "p := pgfast.page('bench_pages', " +
        order +
        ", size, after => p ->> 'next_cursor'); "
        "END LOOP; END $$");
    pgfast::Result r = lease->execute("SELECT depth, cursor FROM bench_cursors");
    for (int i = 0; i < r.rows(); ++i) cursors[r.as<long>(i, 0)] = std::string(r.get(i, 1));
  }

  const std::string keyset_sql = std::string("SELECT pgfast.page('bench_pages', '") + kOrder +
                                 "', " + std::to_string(kPageSize) + ", after => $1)";
  // The fair OFFSET baseline: rows are turned into JSON only for the page, not for skipped rows.
  const std::string offset_sql =
      "SELECT pg_catalog.to_jsonb(p.*)::text FROM (SELECT * FROM bench_pages "
      "ORDER BY created_at DESC, id LIMIT " +
      std::to_string(kPageSize) + " OFFSET $1) p";
  struct Samples {
    std::vector<double> keyset_server, offset_server, keyset_client, offset_client;
  };
  std::map<long, Samples> samples;
  for (int round = 1; round <= rounds; ++round) {
    for (long depth : depths) {
      std::optional<std::string> cursor;
      if (depth > 0) cursor = cursors.at(depth);
      Samples& s = samples[depth];
      s.keyset_server.push_back(execution_ms(db, keyset_sql, pgfast::params(cursor)));
      s.offset_server.push_back(execution_ms(db, offset_sql, pgfast::params(depth)));
      pgfast::PageRequest request;
      request.source = "bench_pages";
      request.order_by = kOrder;
      request.page_size = kPageSize;
      request.after = cursor;
      size_t items = 0;
      s.keyset_client.push_back(wall_ms([&] { items = db.page(request).items.size(); }));
      size_t offset_items = 0;
      s.offset_client.push_back(wall_ms([&] {
        offset_items = static_cast<size_t>(db.query(offset_sql, pgfast::params(depth)).rows());
      }));
      if (items != static_cast<size_t>(kPageSize) || offset_items != items) {
        std::fprintf(stderr, "depth %ld: keyset gave %zu rows, OFFSET %zu\n", depth, items,
                     offset_items);
        return 1;
      }
      std::fprintf(stderr, "\rround %d/%d depth %ld      ", round, rounds, depth);
    }
  }
  std::fprintf(stderr, "\n");

  const double first_page = median(samples.at(0).keyset_server);
  std::printf("%-10s %14s %14s %10s %14s %14s %10s %14s\n", "depth", "keyset srv ms",
              "OFFSET srv ms", "OFFSET/ks", "keyset cli ms", "OFFSET cli ms", "OFFSET/ks",
              "ks/first page");
  std::ofstream json("bench/results/paging.json");
  json << "{\"rows\": " << rows << ", \"page_size\": " << kPageSize << ", \"rounds\": " << rounds
       << ", \"depths\": [";
  bool first = true;
  for (long depth : depths) {
    const Samples& s = samples.at(depth);
    double ks = median(s.keyset_server), os = median(s.offset_server);
    double kc = median(s.keyset_client), oc = median(s.offset_client);
    std::printf("%-10s %14.3f %14.3f %10.1f %14.3f %14.3f %10.1f %14.2f\n",
                depth == last_depth ? ("last:" + std::to_string(depth)).c_str()
                                    : std::to_string(depth).c_str(),
                ks, os, os / ks, kc, oc, oc / kc, ks / first_page);
    json << (first ? "" : ", ") << "{\"depth\": " << depth << ", \"keyset_server_ms\": " << ks
         << ", \"offset_server_ms\": " << os << ", \"keyset_client_ms\": " << kc
         << ", \"offset_client_ms\": " << oc << ", \"keyset_vs_first_page\": " << ks / first_page
         << "}";
    first = false;
  }
  json << "]}\n";
  std::printf(
      "medians of %d interleaved rounds; %ld rows, page size %d; bench/results/paging.json\n",
      rounds, rows, kPageSize);
  db.query("DROP TABLE bench_pages");
  return 0;
}
