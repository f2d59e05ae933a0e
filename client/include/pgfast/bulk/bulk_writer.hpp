// pgfast::BulkWriter: streams typed rows with binary COPY into a temporary staging table, chunk by
// chunk (by rows and by bytes), and merges the staged rows into the target with the extension's
// pgfast.bulk_upsert_from (or a plain INSERT ... SELECT in insert mode) once the stage holds
// merge_rows rows or merge_bytes bytes, and in finish(): one large merge costs much less than many
// small ones (each reads the target's matching rows), and on_duplicate applies across the chunks
// of one merge. When the target takes the
// binary values as they are and a plain COPY cannot differ from the merge (docs/bulk.md, "Direct
// path"), chunks are COPYed straight into the target instead: always in insert mode, optimistically
// (inside a savepoint, falling back to the stage on any error) in upsert mode. All chunks run in
// one transaction: the one open on the connection, or one the writer begins and commits in
// finish().
//
//   pgfast::BulkWriter w(*lease, {"website_content",
//                                 {{"url", pgfast::BulkType::text}, {"body",
//                                 pgfast::BulkType::text},
//                                  {"fetched_at", pgfast::BulkType::timestamptz}},
//                                 {"url"}});
//   w.add_row({std::string(url), std::string(body), pgfast::Timestamp{micros}});
//   pgfast::BulkResult r = w.finish();   // inserted / updated / unchanged
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pgfast/bulk/bulk_value.hpp"
#include "pgfast/errors.hpp"
#include "pgfast/metrics.hpp"
#include "pgfast/db/result.hpp"

namespace pgfast {

class Connection;

// The staging column types a BulkWriter sends in binary; the server casts them to the target's
// column types when merging (e.g. bigint to numeric, text to date). int32 (values given as
// std::int64_t, range-checked) and float32 (values given as double) travel as `integer` and
// `real`, so tables with such columns can take the direct path (docs/bulk.md).
enum class BulkType { int64, float64, boolean, text, timestamptz, jsonb, int32, float32 };

struct BulkColumn {
  std::string name;  // the target's column name
  BulkType type = BulkType::text;
};

enum class BulkMode { upsert, insert };

struct BulkProgress {
  std::uint64_t rows_sent = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t chunks_merged = 0;  // every chunk written: into the target or into the stage
  std::uint64_t chunks_direct = 0;  // of those, the chunks COPYed straight into the target
  std::uint64_t merges = 0;         // merges of the stage into the target run so far
};

struct BulkWriterOptions {
  std::string target;
  std::vector<BulkColumn> columns;
  std::vector<std::string> conflict_columns;  // upsert; empty: the primary key
  std::optional<std::vector<std::string>> update_columns;
  BulkMode mode = BulkMode::upsert;
  std::string options_json = "{}";  // bulk_upsert_from options (on_duplicate, update_when)
  std::size_t chunk_rows = 1000;    // BULK_INSERT_CHUNK_SIZE
  std::size_t chunk_bytes = 8u << 20;
  // The stage is merged into the target when it holds this many rows or bytes, and in finish().
  std::size_t merge_rows = 1000000;
  std::size_t merge_bytes = 256u << 20;
  std::function<void(const BulkProgress&)> on_progress;
  // Prometheus metrics (docs/metrics.md): finish() adds its counts to pgfast_bulk_rows_total.
  std::shared_ptr<Metrics> metrics;
};

struct BulkResult {
  std::int64_t inserted = 0;
  std::int64_t updated = 0;
  std::int64_t unchanged = 0;
  std::uint64_t rows = 0;
};

// Borrows `connection`; must not outlive it. Not thread-safe (one writer, one thread).
class BulkWriter {
 public:
  BulkWriter(Connection& connection, BulkWriterOptions options);
  // Without finish(), the writer's own transaction is rolled back and the stage dropped.
  ~BulkWriter();
  BulkWriter(const BulkWriter&) = delete;
  BulkWriter& operator=(const BulkWriter&) = delete;

  // One row: a value per column, of the column's type or NULL (std::monostate). A value of
  // another type is a ClientError naming the column and the row.
  void add_row(const std::vector<BulkValue>& row);
  // Merges the last chunk, commits the writer's own transaction, returns the totals.
  BulkResult finish();

  const BulkProgress& progress() const noexcept { return progress_; }

 private:
  void flush_chunk();
  void begin_copy();
  // At construction: the stage, and whether chunks may be COPYed straight into the target.
  void choose_path();
  bool direct_path_allowed();
  bool first_key_exists(const std::vector<BulkValue>& row);
  void create_stage();
  void rollback_chunk_savepoint();
  // The kept bytes of a failed direct chunk, COPYed into the stage.
  void copy_kept_into_stage();
  // Whether the chunk being copied keeps its bytes: a direct upsert chunk, for its fallback.
  bool keeps_chunk() const;
  // Counts a chunk that reached the stage; merges the stage when it is full.
  void staged_chunk();
  // Merges the staged rows into the target (upsert or INSERT ... SELECT) and empties the stage.
  void merge_stage();
  Result run_upsert();
  std::optional<std::string> conflict_columns_param() const;

  Connection& connection_;
  BulkWriterOptions options_;
  std::string stage_;
  bool stage_created_ = false;
  std::string buffer_;              // binary COPY data not yet sent
  std::vector<FieldWidth> widths_;  // per column, how BinaryCopyEncoder sends it
  // Direct path: the target as regclass text, its relname (for COPY's error context) and the
  // quoted column list.
  std::string direct_target_;
  std::string direct_relname_;
  std::string direct_columns_;
  bool direct_ = false;        // the next chunk goes straight into the target
  bool chunk_direct_ = false;  // the chunk being copied goes straight into the target
  bool savepoint_open_ = false;
  std::string kept_;  // upsert, direct chunk: its encoded rows, for the fallback to the stage
  // Upsert, direct path: positions of the key columns the first row is looked up by.
  std::vector<std::size_t> probe_keys_;
  std::size_t rows_in_chunk_ = 0;
  std::size_t bytes_in_chunk_ = 0;
  std::uint64_t rows_added_ = 0;
  std::uint64_t chunk_first_row_ = 1;
  // The stage: rows and bytes not merged yet, and the add_row() number of its first row.
  std::uint64_t staged_rows_ = 0;
  std::uint64_t staged_bytes_ = 0;
  std::uint64_t stage_first_row_ = 1;
  bool copying_ = false;
  bool own_transaction_ = false;
  bool finished_ = false;
  BulkProgress progress_;
  BulkResult result_;
};

}  // namespace pgfast
