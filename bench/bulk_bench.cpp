// Benchmark (not a test): BulkWriter + pgfast.bulk_upsert_from against binary COPY into the same
// table, on BENCH_BULK_ROWS rows (default 1,000,000: bigint key in random order, text, int,
// timestamptz, jsonb). Modes, interleaved in each of BENCH_ROUNDS rounds (default 5), medians:
//   copy       binary COPY into the empty table (the baseline)
//   insert     BulkWriter upsert into the empty table (every row new)
//   insert_mode  BulkWriter with BulkMode::insert into the empty table
//   update     every row exists with other values
//   unchanged  every row exists with the same values
//   half       half the keys exist (with other values), half are new
//   naive      INSERT ... SELECT FROM unnest(...) ON CONFLICT DO UPDATE without a WHERE, on
//              unchanged data (what ORMs do)
//   bare_update  the floor of any SQL update path: one UPDATE ... FROM a temp table already
//              holding the new values (filled and analyzed before the clock starts), as in update
//   update_hot   update, on the table created WITH (fillfactor = 50): room on every page for the
//              new row versions, so the updates are HOT (no new index entries)
//   stage_insert  the SQL path for new rows: binary COPY into a temporary table (LIKE the target)
//              and pgfast.bulk_upsert_from into the empty table, both timed, in one transaction
//   stage_update  the SQL path for changed rows: pgfast.bulk_upsert_from from a temp table already
//              holding the new values (filled and analyzed before the clock starts, as for
//              bare_update), every row changed
// BENCH_BULK_MODES (comma-separated) runs a subset, e.g. "copy,unchanged" for profiling; copy is
// always kept as the baseline.
// Reports rows/s, ratio to COPY, WAL bytes and table growth; writes bench/results/bulk.json.
#include <libpq-fe.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "bench_util.hpp"
#include "bulk/binary_copy.hpp"
#include "pgfast/bulk/bulk_writer.hpp"
#include "pgfast/db/database.hpp"
#include "pgfast/settings.hpp"

namespace {

using pgfast_bench::env_long;
using pgfast_bench::median;

using Row = std::vector<pgfast::BulkValue>;

Row make_row(std::int64_t key, char version) {
  return {key, "title " + std::to_string(key) + " " + version,
          std::int64_t{key % 1000 + (version == 'B' ? 1 : 0)},
          pgfast::Timestamp{1700000000000000 + key * 1000},
          pgfast::Json{"{\"k\": " + std::to_string(key) + ", \"v\": \"" + version + "\"}"}};
}

const std::vector<pgfast::BulkColumn> kColumns = {{"id", pgfast::BulkType::int64},
                                                  {"title", pgfast::BulkType::text},
                                                  {"n", pgfast::BulkType::int64},
                                                  {"seen", pgfast::BulkType::timestamptz},
                                                  {"meta", pgfast::BulkType::jsonb}};

// Plain binary COPY of `rows` into `table`.
void copy_rows(pgfast::Connection& c, const std::string& table, const std::vector<Row>& rows) {
  pg_conn* conn = c.native_handle();
  PGresult* r = PQexec(conn, ("COPY " + table + " FROM STDIN (FORMAT binary)").c_str());
  if (PQresultStatus(r) != PGRES_COPY_IN) c.throw_error(r);
  PQclear(r);
  std::string buffer;
  pgfast::BinaryCopyEncoder::header(buffer);
  for (const Row& row : rows) {
    pgfast::BinaryCopyEncoder::row(buffer, row);
    if (buffer.size() > (1 << 20)) {
      PQputCopyData(conn, buffer.data(), static_cast<int>(buffer.size()));
      buffer.clear();
    }
  }
  pgfast::BinaryCopyEncoder::trailer(buffer);
  PQputCopyData(conn, buffer.data(), static_cast<int>(buffer.size()));
  PQputCopyEnd(conn, nullptr);
  r = PQgetResult(conn);
  if (PQresultStatus(r) != PGRES_COMMAND_OK) c.throw_error(r);
  PQclear(r);
  while (PGresult* extra = PQgetResult(conn)) PQclear(extra);
}

pgfast::BulkResult bulk_write(pgfast::Connection& c, const std::string& table,
                              const std::vector<Row>& rows,
                              pgfast::BulkMode mode = pgfast::BulkMode::upsert) {
  pgfast::BulkWriterOptions o;
  o.target = table;
  o.mode = mode;
  o.columns = kColumns;
  o.chunk_rows = 100000;
  pgfast::BulkWriter writer(c, o);
  for (const Row& row : rows) writer.add_row(row);
  return writer.finish();
}

// What ORMs do: INSERT ... SELECT FROM unnest(arrays) ON CONFLICT DO UPDATE, no WHERE, in
// statements of 10,000 rows.
void naive_upsert(pgfast::Connection& c, const std::string& table, const std::vector<Row>& rows) {
  const size_t batch = 10000;
  c.execute("BEGIN");
  for (size_t start = 0; start < rows.size(); start += batch) {
    std::vector<std::string> ids, titles, ns, seens, metas;
    for (size_t i = start; i < std::min(rows.size(), start + batch); ++i) {
      ids.push_back(std::to_string(std::get<std::int64_t>(rows[i][0])));
      titles.push_back(std::get<std::string>(rows[i][1]));
      ns.push_back(std::to_string(std::get<std::int64_t>(rows[i][2])));
      seens.push_back(std::to_string(std::get<pgfast::Timestamp>(rows[i][3]).unix_micros));
      metas.push_back(std::get<pgfast::Json>(rows[i][4]).text);
    }
    c.execute("INSERT INTO " + table +
                  " (id, title, n, seen, meta) SELECT i, t, n, to_timestamp(s / 1e6), m "
                  "FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[], $5::jsonb[]) "
                  "AS u(i, t, n, s, m) ON CONFLICT (id) DO UPDATE SET title = excluded.title, "
                  "n = excluded.n, seen = excluded.seen, meta = excluded.meta",
              pgfast::params(pgfast::array_literal(ids), pgfast::array_literal(titles),
                             pgfast::array_literal(ns), pgfast::array_literal(seens),
                             pgfast::array_literal(metas)));
  }
  c.execute("COMMIT");
}

struct Measure {
  std::vector<double> seconds;
  std::vector<double> wal_bytes;
  std::vector<double> growth_bytes;
};

}  // namespace

int main() {
  const long n = env_long("BENCH_BULK_ROWS", 1000000);
  const int rounds = static_cast<int>(env_long("BENCH_ROUNDS", 5));
  pgfast::Database db(pgfast::Settings::from_env());
  pgfast::PooledConnection lease = db.acquire();
  pgfast::Connection& c = *lease;
  c.execute("CREATE EXTENSION IF NOT EXISTS pgfast");
  const std::string table = "bench_bulk";
  c.execute("DROP TABLE IF EXISTS " + table);
  c.execute("CREATE TABLE " + table +
            " (id bigint PRIMARY KEY, title text NOT NULL, n bigint NOT NULL, seen timestamptz NOT "
            "NULL, meta jsonb NOT NULL)");

  std::vector<std::int64_t> keys(static_cast<size_t>(n));
  std::iota(keys.begin(), keys.end(), 1);
  std::shuffle(keys.begin(), keys.end(), std::mt19937_64(7));
  std::vector<Row> rows_a, rows_b, half_a;
  rows_a.reserve(keys.size());
  rows_b.reserve(keys.size());
  for (std::int64_t k : keys) {
    rows_a.push_back(make_row(k, 'A'));
    rows_b.push_back(make_row(k, 'B'));
    if (k % 2 == 0) half_a.push_back(rows_a.back());
  }

  auto state = [&](const std::vector<Row>* contents) {
    c.execute("TRUNCATE " + table);
    if (contents) copy_rows(c, table, *contents);
    c.execute("VACUUM ANALYZE " + table);
  };
  auto wal_lsn = [&] { return std::string(c.execute("SELECT pg_current_wal_lsn()").get(0, 0)); };
  auto table_size = [&] {
    return c.execute("SELECT pg_table_size($1::regclass)", pgfast::params(table)).as<double>(0, 0);
  };
  std::vector<std::string> modes = {"copy",       "insert",       "insert_mode", "update",
                                    "unchanged",  "half",         "naive",       "bare_update",
                                    "update_hot", "stage_insert", "stage_update"};
  if (const char* only = std::getenv("BENCH_BULK_MODES"); only && *only) {
    const std::string wanted = std::string(",") + only + ",";
    modes.erase(std::remove_if(modes.begin() + 1, modes.end(),
                               [&](const std::string& m) {
                                 return wanted.find("," + m + ",") == std::string::npos;
                               }),
                modes.end());
  }
  std::map<std::string, Measure> results;
  for (int round = 1; round <= rounds; ++round) {
    for (const std::string& mode : modes) {
      if (mode == "copy" || mode == "insert" || mode == "insert_mode" || mode == "stage_insert") {
        state(nullptr);
      }
      if (mode == "update_hot") c.execute("ALTER TABLE " + table + " SET (fillfactor = 50)");
      if (mode == "update" || mode == "bare_update" || mode == "update_hot" ||
          mode == "stage_update") {
        state(&rows_a);
      }
      if (mode == "bare_update" || mode == "stage_update") {
        c.execute("BEGIN");
        c.execute("CREATE TEMPORARY TABLE bench_bulk_new (LIKE " + table + ") ON COMMIT DROP");
        copy_rows(c, "bench_bulk_new", rows_b);
        c.execute("ANALYZE bench_bulk_new");
      }
      if (mode == "unchanged" || mode == "naive") state(&rows_b);
      if (mode == "half") state(&half_a);
      std::string lsn = wal_lsn();
      double size_before = table_size();
      auto start = std::chrono::steady_clock::now();
      if (mode == "copy") {
        copy_rows(c, table, rows_b);
      } else if (mode == "naive") {
        naive_upsert(c, table, rows_b);
      } else if (mode == "bare_update") {
        c.execute("UPDATE " + table +
                  " t SET title = s.title, n = s.n, seen = s.seen, meta = s.meta FROM "
                  "bench_bulk_new s WHERE t.id = s.id");
        c.execute("COMMIT");
      } else if (mode == "stage_update") {
        c.execute("SELECT * FROM pgfast.bulk_upsert_from($1::regclass, 'bench_bulk_new')",
                  pgfast::params(table));
        c.execute("COMMIT");
      } else if (mode == "stage_insert") {
        c.execute("BEGIN");
        c.execute("CREATE TEMPORARY TABLE bench_bulk_new (LIKE " + table + ") ON COMMIT DROP");
        copy_rows(c, "bench_bulk_new", rows_b);
        c.execute("SELECT * FROM pgfast.bulk_upsert_from($1::regclass, 'bench_bulk_new')",
                  pgfast::params(table));
        c.execute("COMMIT");
      } else if (mode == "insert_mode") {
        bulk_write(c, table, rows_b, pgfast::BulkMode::insert);
      } else {
        bulk_write(c, table, rows_b);
      }
      double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (mode == "update_hot") c.execute("ALTER TABLE " + table + " RESET (fillfactor)");
      Measure& m = results[mode];
      m.seconds.push_back(secs);
      m.wal_bytes.push_back(
          c.execute("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)", pgfast::params(lsn))
              .as<double>(0, 0));
      m.growth_bytes.push_back(table_size() - size_before);
      std::fprintf(stderr, "\rround %d/%d %-11s %.2f s      ", round, rounds, mode.c_str(), secs);
    }
  }
  std::fprintf(stderr, "\n");
  const double copy_rate = n / median(results["copy"].seconds);
  std::printf("%-11s %12s %10s %14s %16s\n", "mode", "rows/s", "vs COPY", "WAL MB",
              "table growth MB");
  std::ofstream json("bench/results/bulk.json");
  json << "{\"rows\": " << n << ", \"rounds\": " << rounds << ", \"modes\": [";
  for (size_t i = 0; i < modes.size(); ++i) {
    const Measure& m = results[modes[i]];
    double rate = n / median(m.seconds);
    std::printf("%-11s %12.0f %10.2f %14.1f %16.1f\n", modes[i].c_str(), rate, rate / copy_rate,
                median(m.wal_bytes) / 1e6, median(m.growth_bytes) / 1e6);
    json << (i ? ", " : "") << "{\"mode\": \"" << modes[i] << "\", \"rows_per_s\": " << rate
         << ", \"vs_copy\": " << rate / copy_rate << ", \"wal_bytes\": " << median(m.wal_bytes)
         << ", \"table_growth_bytes\": " << median(m.growth_bytes) << ", \"seconds\": [";
    for (size_t r = 0; r < m.seconds.size(); ++r) json << (r ? ", " : "") << m.seconds[r];
    json << "]}";
  }
  json << "]}\n";
  // Speed of mode `a` relative to mode `b` (0 when either did not run).
  auto ratio = [&](const char* a, const char* b) {
    return results.count(a) && results.count(b)
               ? median(results[b].seconds) / median(results[a].seconds)
               : 0.0;
  };
  std::printf(
      "medians of %d interleaved rounds, %ld rows; unchanged vs naive: %.2fx; update vs bare "
      "UPDATE: %.2fx; stage_insert vs COPY: %.2fx; stage_update vs bare UPDATE: %.2fx; "
      "bench/results/bulk.json\n",
      rounds, n, ratio("unchanged", "naive"), ratio("update", "bare_update"),
      ratio("stage_insert", "copy"), ratio("stage_update", "bare_update"));
  c.execute("DROP TABLE " + table);
  return 0;
}
