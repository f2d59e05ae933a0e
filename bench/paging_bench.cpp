// Benchmark (not a test): keyset pages (pgfast.page) at increasing depth, for every ordering
// family a matching btree index serves, both directions; and keyset against OFFSET. One table of
// BENCH_PAGING_ROWS rows (default 1,200,000) with one index per ordering family.
//
// Families (order_by -> index): single column 'id' (primary key); several columns 'a, b'
// (a, b, id); mixed directions, secondary + pk tie-breaker 'created_at DESC' (created_at DESC,
// id), the case of issue #16; uncorrelated secondary 'b' (b, id); nullable NULLS LAST 'score'
// (score, id); nullable NULLS FIRST and mixed 'score DESC' (score DESC, id).
// Depths: forward, page(after => cursor after d rows) for d = 0, 10k, 100k, 1M, last page;
// backward, page(before => cursor at rows - d) for d = one page (the first backward page), 10k,
// 100k, 1M and the start (the last backward page).
// Each of BENCH_ROUNDS rounds measures every (family, direction, depth) once, interleaved:
// EXPLAIN (ANALYZE, TIMING OFF) execution time on the server of one statement calling
// pgfast.page(...) BENCH_PAGING_CALLS times (default 20), divided by the calls. Medians;
// deep/first = per round, each depth's time over the mean of the first page and its repeat (which
// bracket the round's depths), median over rounds; the slowest depth's, per family and direction.
// Keyset vs OFFSET (server and client time) is measured for 'created_at DESC' forward.
// Writes bench/results/paging.json.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "bench_util.hpp"
#include "pgfast/db/database.hpp"
#include "pgfast/settings.hpp"

namespace {

using pgfast_bench::env_long;
using pgfast_bench::median;
using pgfast_bench::wall_ms;

struct Family {
  const char* name;
  const char* order_by;
};

const std::vector<Family> kFamilies = {
    {"single column", "id"},
    {"several columns", "a, b"},
    {"mixed DESC/ASC, secondary + pk", "created_at DESC"},
    {"secondary, uncorrelated", "b"},
    {"nullable NULLS LAST", "score"},
    {"nullable NULLS FIRST, mixed", "score DESC"},
};
constexpr char kOffsetFamily[] = "created_at DESC";

double execution_ms(pgfast::Database& db, const std::string& sql, const pgfast::Params& params) {
  pgfast::Result r = db.query("EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) " + sql, params);
  std::string json(r.get(0, 0));
  auto pos = json.find("\"Execution Time\": ");
  return pos == std::string::npos ? -1 : std::stod(json.substr(pos + 18));
}

std::string sql_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

}  // namespace

int main() {
  const long rows = env_long("BENCH_PAGING_ROWS", 1200000);
  const int rounds = static_cast<int>(env_long("BENCH_ROUNDS", 15));
  const int page_size = static_cast<int>(env_long("BENCH_PAGING_PAGE_SIZE", 50));
  // Each sample is the mean of this many calls in one statement: a page costs about 1 ms, where
  // a single call's time on a shared machine is mostly noise.
  const int calls = static_cast<int>(env_long("BENCH_PAGING_CALLS", 10));
  pgfast::Database db(pgfast::Settings::from_env());
  db.query("CREATE EXTENSION IF NOT EXISTS pgfast");
  db.query("DROP TABLE IF EXISTS bench_pages");
  std::fprintf(stderr, "loading %ld rows and 5 indexes...\n", rows);
  db.query(
      "CREATE TABLE bench_pages (id bigint PRIMARY KEY, created_at timestamptz NOT NULL, "
      "a int NOT NULL, b int NOT NULL, score int, title text NOT NULL)");
  // created_at: 3 rows per millisecond (ties); a: 1000 rows per value; b: a permutation-like
  // spread uncorrelated with the heap; score: uncorrelated, one row in ten NULL.
  db.query(
      "INSERT INTO bench_pages SELECT g, timestamptz '2024-01-01' + (g / 3) * interval '1 ms', "
      "g / 1000, (g * 7919) % 1000003, CASE WHEN g % 10 = 0 THEN NULL ELSE (g * 31) % 999983 END, "
      "'title ' || g FROM generate_series(1, $1::bigint) g",
      pgfast::params(rows));
  db.query("CREATE INDEX bench_pages_created ON bench_pages (created_at DESC, id)");
  db.query("CREATE INDEX bench_pages_ab ON bench_pages (a, b, id)");
  db.query("CREATE INDEX bench_pages_b ON bench_pages (b, id)");
  db.query("CREATE INDEX bench_pages_score ON bench_pages (score, id)");
  db.query("CREATE INDEX bench_pages_score_desc ON bench_pages (score DESC, id)");
  db.query("VACUUM ANALYZE bench_pages");

  // Cursor positions (rows walked before the cursor) needed by both directions.
  const long last = rows - page_size;
  std::vector<long> forward_depths = {0, 10000, 100000, 1000000, last};
  std::vector<long> backward_depths = {page_size, 10000, 100000, 1000000, rows - page_size};
  forward_depths.erase(std::remove_if(forward_depths.begin() + 1, forward_depths.end() - 1,
                                      [&](long d) { return d >= last; }),
                       forward_depths.end() - 1);
  backward_depths.erase(std::remove_if(backward_depths.begin() + 1, backward_depths.end() - 1,
                                       [&](long d) { return d >= rows - page_size; }),
                        backward_depths.end() - 1);
  std::vector<long> positions;
  for (long d : forward_depths) {
    if (d > 0) positions.push_back(d);
  }
  for (long d : backward_depths) positions.push_back(rows - d);
  std::sort(positions.begin(), positions.end());
  positions.erase(std::unique(positions.begin(), positions.end()), positions.end());
  std::string targets = "ARRAY[";
  for (size_t i = 0; i < positions.size(); ++i) {
    targets += (i ? "," : "") + std::to_string(positions[i]);
  }
  targets += "]::bigint[]";

  // family -> position -> cursor: one server-side walk per family, pages of up to 500 rows.
  std::map<std::string, std::map<long, std::string>> cursors;
  {
    pgfast::PooledConnection lease = db.acquire();
    lease->execute("CREATE TEMP TABLE bench_cursors (position bigint, cursor text)");
    for (const Family& f : kFamilies) {
      std::fprintf(stderr, "collecting cursors for %s (one walk)...\n", f.order_by);
      lease->execute("TRUNCATE bench_cursors");
      lease->execute(
          "DO $$ DECLARE p jsonb; seen bigint := 0; t bigint; targets bigint[] := " + targets +
          "; BEGIN FOREACH t IN ARRAY targets LOOP "
          "WHILE seen < t LOOP "
          "p := pgfast.page('bench_pages', " +
          sql_quote(f.order_by) +
          ", LEAST(500, t - seen)::int, after => p ->> 'next_cursor'); "
          "seen := seen + jsonb_array_length(p -> 'items'); END LOOP; "
          "INSERT INTO bench_cursors VALUES (seen, p ->> 'next_cursor'); END LOOP; END $$");
      pgfast::Result r = lease->execute("SELECT position, cursor FROM bench_cursors");
      for (int i = 0; i < r.rows(); ++i) {
        cursors[f.order_by][r.as<long>(i, 0)] = std::string(r.get(i, 1));
      }
    }
  }

  // (family, direction, depth) -> samples.
  using Key = std::tuple<std::string, std::string, long>;
  std::map<Key, std::vector<double>> samples;
  struct OffsetSamples {
    std::vector<double> keyset_server, offset_server, keyset_client, offset_client;
  };
  std::map<long, OffsetSamples> offset_samples;
  const std::string offset_sql =
      "SELECT pg_catalog.to_jsonb(p.*)::text FROM (SELECT * FROM bench_pages "
      "ORDER BY created_at DESC, id LIMIT " +
      std::to_string(page_size) + " OFFSET $1) p";
  for (int round = 1; round <= rounds; ++round) {
    for (const Family& f : kFamilies) {
      const std::string base = "SELECT pgfast.page('bench_pages', " + sql_quote(f.order_by) + ", " +
                               std::to_string(page_size);
      for (const char* direction : {"forward", "backward"}) {
        bool fwd = direction[0] == 'f';
        // The depths, then the first page again (key -1: the noise of a repeat), in alternating
        // order from round to round so no depth always runs first.
        std::vector<long> order = fwd ? forward_depths : backward_depths;
        order.push_back(-1);
        if (round % 2 == 0) std::reverse(order.begin(), order.end());
        // Plus one unrecorded call first: whatever runs first in a block pays for the switch of
        // order (a measurable warm-up) and would bias the first page or its repeat.
        order.insert(order.begin(), -2);
        for (long key : order) {
          long d = key < 0 ? (fwd ? forward_depths : backward_depths).front() : key;
          std::optional<std::string> cursor;
          long position = fwd ? d : rows - d;
          if (position > 0) cursor = cursors.at(f.order_by).at(position);
          // count(page(...)) evaluates the call for every row (a WHERE on it alone would be a
          // one-time filter, evaluated once).
          std::string sql = "SELECT count(" + base.substr(7) +
                            (fwd ? ", after => $1)" : ", before => $1)") +
                            ") FROM generate_series(1, " + std::to_string(calls) + ")";
          double ms = execution_ms(db, sql, pgfast::params(cursor)) / calls;
          if (key != -2) samples[Key{f.order_by, direction, key}].push_back(ms);
        }
      }
      std::fprintf(stderr, "\rround %d/%d %-20s", round, rounds, f.order_by);
    }
    // Keyset against OFFSET, forward, for the ordering.
    for (long d : forward_depths) {
      std::optional<std::string> cursor;
      if (d > 0) cursor = cursors.at(kOffsetFamily).at(d);
      OffsetSamples& s = offset_samples[d];
      s.keyset_server.push_back(samples[Key{kOffsetFamily, "forward", d}].back());
      s.offset_server.push_back(execution_ms(db, offset_sql, pgfast::params(d)));
      pgfast::PageRequest request;
      request.source = "bench_pages";
      request.order_by = kOffsetFamily;
      request.page_size = page_size;
      request.after = cursor;
      size_t items = 0;
      s.keyset_client.push_back(wall_ms([&] { items = db.page(request).items.size(); }));
      size_t offset_items = 0;
      s.offset_client.push_back(wall_ms([&] {
        offset_items = static_cast<size_t>(db.query(offset_sql, pgfast::params(d)).rows());
      }));
      if (items != static_cast<size_t>(page_size) || offset_items != items) {
        std::fprintf(stderr, "depth %ld: keyset gave %zu rows, OFFSET %zu\n", d, items,
                     offset_items);
        return 1;
      }
    }
  }
  std::fprintf(stderr, "\n");

  std::ofstream json("bench/results/paging.json");
  json << "{\"rows\": " << rows << ", \"page_size\": " << page_size << ", \"rounds\": " << rounds
       << ", \"calls_per_sample\": " << calls;

  // Per family and direction: median per depth, deep/first.
  std::printf("%-32s %-9s", "ordering", "direction");
  for (long d : forward_depths) {
    std::string label = d == 0 ? "first" : d == last ? "last" : std::to_string(d / 1000) + "k";
    std::printf(" %9s", label.c_str());
  }
  std::printf(" %11s\n", "worst/first");
  json << ", \"orderings\": [";
  bool first_entry = true;
  double worst_ratio = 0;
  double noise = 1;  // the largest ratio between the first page and its repeat in the same run
  for (const Family& f : kFamilies) {
    for (const char* direction : {"forward", "backward"}) {
      bool fwd = direction[0] == 'f';
      const std::vector<long>& depths = fwd ? forward_depths : backward_depths;
      std::printf("%-32s %-9s", f.order_by, direction);
      const std::vector<double>& firsts = samples.at(Key{f.order_by, direction, depths.front()});
      const std::vector<double>& repeats = samples.at(Key{f.order_by, direction, -1});
      double first_ms = median(firsts);
      double repeat_ms = median(repeats);
      // Ratios are taken within each round, against the mean of the first page and its repeat,
      // which bracket the round's depths in time, so load that drifts between rounds cancels;
      // then the median over the rounds.
      auto ratio_to_first = [&](const std::vector<double>& v) {
        std::vector<double> r;
        for (size_t k = 0; k < v.size(); ++k) r.push_back(v[k] / ((firsts[k] + repeats[k]) / 2));
        return median(r);
      };
      double worst = 0;
      double worst_ms = 0;
      long worst_depth = 0;
      json << (first_entry ? "" : ", ") << "{\"family\": \"" << f.name << "\", \"order_by\": \""
           << f.order_by << "\", \"direction\": \"" << direction << "\", \"medians_ms\": {";
      first_entry = false;
      for (size_t i = 0; i < depths.size(); ++i) {
        const std::vector<double>& v = samples.at(Key{f.order_by, direction, depths[i]});
        double m = median(v);
        std::printf(" %9.3f", m);
        json << (i ? ", " : "") << "\"" << depths[i] << "\": " << m;
        double r = ratio_to_first(v);
        if (i > 0 && r > worst) {
          worst = r;
          worst_ms = m;
          worst_depth = depths[i];
        }
      }
      worst_ratio = std::max(worst_ratio, worst);
      std::vector<double> spread;
      for (size_t k = 0; k < firsts.size(); ++k) {
        spread.push_back(std::max(repeats[k] / firsts[k], firsts[k] / repeats[k]));
      }
      noise = std::max(noise, median(spread));
      std::printf(" %11.2f\n", worst);
      json << "}, \"first_ms\": " << first_ms << ", \"worst_ms\": " << worst_ms
           << ", \"worst_depth\": " << worst_depth << ", \"deep_vs_first\": " << worst
           << ", \"first_repeat_ms\": " << repeat_ms << "}";
    }
  }
  json << "], \"noise\": " << noise;
  std::printf(
      "server execution ms per call (mean of %d calls), medians of %d interleaved rounds; %ld "
      "rows, "
      "page size %d. forward: "
      "after d rows; backward: before row rows-d (first = one page from the end, last = the "
      "start). worst/first: the deepest page's time over the first page's, per round (against the "
      "first page and its repeat around it), median of rounds. goal: every worst/first <= 1.5: %s "
      "(max %.2f); noise: in a round the first page and its repeat differ by a median of up to "
      "%.2fx\n\n",
      calls, rounds, rows, page_size, worst_ratio <= 1.5 ? "met" : "NOT met", worst_ratio, noise);

  std::printf("%-10s %14s %14s %10s %14s %14s %10s   (%s, forward)\n", "depth", "keyset srv ms",
              "OFFSET srv ms", "OFFSET/ks", "keyset cli ms", "OFFSET cli ms", "OFFSET/ks",
              kOffsetFamily);
  json << ", \"depths\": [";
  bool first = true;
  for (long depth : forward_depths) {
    const OffsetSamples& s = offset_samples.at(depth);
    double ks = median(s.keyset_server), os = median(s.offset_server);
    double kc = median(s.keyset_client), oc = median(s.offset_client);
    std::printf(
        "%-10s %14.3f %14.3f %10.1f %14.3f %14.3f %10.1f\n",
        depth == last ? ("last:" + std::to_string(depth)).c_str() : std::to_string(depth).c_str(),
        ks, os, os / ks, kc, oc, oc / kc);
    json << (first ? "" : ", ") << "{\"depth\": " << depth << ", \"keyset_server_ms\": " << ks
         << ", \"offset_server_ms\": " << os << ", \"keyset_client_ms\": " << kc
         << ", \"offset_client_ms\": " << oc << "}";
    first = false;
  }
  json << "]}\n";
  std::printf("bench/results/paging.json\n");
  db.query("DROP TABLE bench_pages");
  return 0;
}
