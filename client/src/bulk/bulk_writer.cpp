#include "pgfast/bulk/bulk_writer.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <atomic>
#include <limits>

#include "bulk/binary_copy.hpp"
#include "bulk/direct_path.hpp"
#include "bulk/failed_row.hpp"
#include "metrics/metric_families.hpp"
#include "pgfast/db/connection.hpp"
#include "pgfast/db/params.hpp"
#include "pgfast/db/result.hpp"

namespace pgfast {

namespace {

constexpr std::size_t kSendThreshold = 64 * 1024;

const char* sql_type(BulkType t) {
  switch (t) {
    case BulkType::int64:
      return "bigint";
    case BulkType::float64:
      return "double precision";
    case BulkType::boolean:
      return "boolean";
    case BulkType::text:
      return "text";
    case BulkType::timestamptz:
      return "timestamptz";
    case BulkType::jsonb:
      return "jsonb";
    case BulkType::int32:
      return "integer";
    case BulkType::float32:
      return "real";
  }
  return "text";
}

// The BulkValue alternative each type takes (index into the variant).
std::size_t value_index(BulkType t) {
  switch (t) {
    case BulkType::int64:
      return 1;
    case BulkType::float64:
      return 2;
    case BulkType::boolean:
      return 3;
    case BulkType::text:
      return 4;
    case BulkType::timestamptz:
      return 5;
    case BulkType::jsonb:
      return 6;
    case BulkType::int32:
      return 1;
    case BulkType::float32:
      return 2;
  }
  return 4;
}

FieldWidth field_width(BulkType t) {
  return t == BulkType::int32 || t == BulkType::float32 ? FieldWidth::four_bytes
                                                        : FieldWidth::natural;
}

std::string quote_identifier(pg_conn* conn, const std::string& name) {
  char* quoted = PQescapeIdentifier(conn, name.c_str(), name.size());
  if (quoted == nullptr) throw ClientError("pgfast: cannot quote identifier \"" + name + "\"");
  std::string out(quoted);
  PQfreemem(quoted);
  return out;
}

constexpr char kChunkSavepoint[] = "pgfast_bulk_writer_chunk";

// The relation, per column of it: what decides whether a plain COPY into it behaves as the merge.
// $1 target, $2 conflict columns (NULL: the primary key).
constexpr char kDirectPathCatalogSql[] = R"SQL(
SELECT c.oid::regclass::text, c.relname, c.relkind IN ('r', 'p') AND NOT c.relrowsecurity
         AND NOT c.relhasrules,
       NOT EXISTS (
         SELECT FROM pg_catalog.pg_trigger t
         WHERE (t.tgrelid = c.oid
                OR t.tgrelid IN (SELECT relid FROM pg_catalog.pg_partition_tree(c.oid)))
           AND NOT t.tgisinternal
           AND t.tgfoid NOT IN (
             SELECT p.oid FROM pg_catalog.pg_proc p
             JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
             WHERE n.nspname = 'pgfast' AND p.proname = '_notify_changes_trigger')),
       pg_catalog.has_table_privilege(c.oid, 'UPDATE'),
       EXISTS (
         SELECT FROM pg_catalog.pg_index i
         WHERE i.indrelid = c.oid AND i.indisunique AND i.indisvalid AND i.indimmediate
           AND i.indpred IS NULL AND i.indexprs IS NULL
           AND (SELECT bool_and(a.attnotnull) AND CASE WHEN $2::text[] IS NULL THEN i.indisprimary
                       ELSE array_agg(a.attname::text ORDER BY a.attname::text) =
                            (SELECT array_agg(k ORDER BY k) FROM unnest($2::text[]) k) END
                FROM unnest(i.indkey) WITH ORDINALITY AS key(attnum, ord)
                JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = key.attnum
                WHERE key.ord <= i.indnkeyatts)),
       a.attname, a.atttypid::oid, a.atthasdef OR a.attidentity <> '', a.attidentity,
       a.attgenerated,
       EXISTS (SELECT FROM pg_catalog.pg_index i
               CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS key(attnum, ord)
               WHERE i.indrelid = c.oid AND i.indisprimary AND key.attnum = a.attnum
                 AND key.ord <= i.indnkeyatts)
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE c.oid = pg_catalog.to_regclass($1)
)SQL";

// Ends the COPY in progress (`abort_message`: aborts it) and returns its result (null when libpq
// gives none), after reading libpq's results until none is left.
PGresult* end_copy(pg_conn* conn, const char* abort_message = nullptr) {
  PQputCopyEnd(conn, abort_message);
  PGresult* first = PQgetResult(conn);
  while (PGresult* extra = PQgetResult(conn)) PQclear(extra);
  return first;
}

// The column COPY's error names: its context's, else the error's column field (a NOT NULL
// violation names the column there, not in the context).
std::optional<std::string> copy_error_column(const FailedRow& position, const PGresult* r) {
  if (position.column) return position.column;
  const char* column = PQresultErrorField(r, PG_DIAG_COLUMN_NAME);
  if (column == nullptr || *column == '\0') return std::nullopt;
  return std::string(column);
}

// The cause's fields (SQLSTATE, detail, context, statement, ...) with the caller's row (and the
// column, when known) in front of the message.
DatabaseErrorInfo info_with_row(const DatabaseError& cause, std::optional<std::uint64_t> row,
                                const std::optional<std::string>& column) {
  DatabaseErrorInfo info = cause.info();
  if (!row) return info;
  info.input_row = row;
  info.input_column = column;
  std::string where = "row " + std::to_string(*row);
  if (column) where += ", column \"" + *column + "\"";
  info.message = where + ": " + cause.what();
  return info;
}

// A name for a stage no other writer of this process uses: one counter for all threads.
std::string next_stage_name() {
  static std::atomic<std::uint64_t> counter{0};
  return "pgfast_bulk_writer_" + std::to_string(counter.fetch_add(1) + 1);
}

}  // namespace

BulkWriter::BulkWriter(Connection& connection, BulkWriterOptions options)
    : connection_(connection), options_(std::move(options)) {
  if (options_.columns.empty()) throw ClientError("pgfast: BulkWriter needs at least one column");
  if (options_.chunk_rows == 0) throw ClientError("pgfast: BulkWriter chunk_rows must be >= 1");
  if (options_.merge_rows == 0) throw ClientError("pgfast: BulkWriter merge_rows must be >= 1");
  for (const BulkColumn& c : options_.columns) widths_.push_back(field_width(c.type));
  pg_conn* conn = connection_.native_handle();
  stage_ = "pg_temp." + quote_identifier(conn, next_stage_name());
  if (connection_.transaction_status() == TransactionStatus::idle) {
    connection_.execute("BEGIN");
    own_transaction_ = true;
  }
  try {
    choose_path();
  } catch (...) {
    // No destructor runs for a constructor that throws: end the transaction begun above here.
    if (own_transaction_ && !connection_.broken()) PQclear(PQexec(conn, "ROLLBACK"));
    throw;
  }
}

void BulkWriter::choose_path() {
  direct_ = direct_path_allowed();
  if (!direct_ || options_.mode == BulkMode::upsert) create_stage();
  if (direct_ && options_.mode == BulkMode::upsert) {
    // The merge validates its arguments (options, update_columns, ...) even for no rows; a chunk
    // that a plain COPY takes without error must not skip that check.
    connection_.execute(std::string("SAVEPOINT ") + kChunkSavepoint);
    savepoint_open_ = true;
    try {
      run_upsert();
      connection_.execute(std::string("RELEASE SAVEPOINT ") + kChunkSavepoint);
      savepoint_open_ = false;
    } catch (const DatabaseError&) {
      rollback_chunk_savepoint();
      direct_ = false;
    }
  }
}

// The conflict_columns argument of the SQL calls: NULL (the primary key) when none are named.
std::optional<std::string> BulkWriter::conflict_columns_param() const {
  if (options_.conflict_columns.empty()) return std::nullopt;
  return array_literal(options_.conflict_columns);
}

Result BulkWriter::run_upsert() {
  std::optional<std::string> conflict = conflict_columns_param();
  std::optional<std::string> update;
  if (options_.update_columns) update = array_literal(*options_.update_columns);
  return connection_.execute(
      "SELECT inserted, updated, unchanged FROM pgfast.bulk_upsert_from($1::regclass, "
      "$2::regclass, $3::text[], $4::text[], $5::jsonb)",
      params(options_.target, stage_, conflict, update, options_.options_json));
}

bool BulkWriter::direct_path_allowed() {
  Result catalog =
      connection_.execute(kDirectPathCatalogSql, params(options_.target, conflict_columns_param()));
  DirectPathFacts facts;
  facts.exists = catalog.rows() > 0;
  if (facts.exists) {
    facts.plain_table = catalog.get(0, 2) == "t";
    facts.user_triggers = catalog.get(0, 3) != "t";
    facts.may_update = catalog.get(0, 4) == "t";
    facts.conflict_index = catalog.get(0, 5) == "t";
  }
  for (int r = 0; r < catalog.rows(); ++r) {
    DirectPathColumn c;
    c.name = std::string(catalog.get(r, 6));
    c.type_oid = static_cast<unsigned>(catalog.as<long long>(r, 7));
    c.has_default = catalog.get(r, 8) == "t";
    c.identity = catalog.get(r, 9).empty() ? '\0' : catalog.get(r, 9)[0];
    c.generated = !catalog.get(r, 10).empty();
    c.in_primary_key = catalog.get(r, 11) == "t";
    facts.columns.push_back(std::move(c));
  }
  DirectPathDecision decision = decide_direct_path(facts, options_);
  if (!decision.direct) return false;
  probe_keys_ = std::move(decision.probe_keys);
  pg_conn* conn = connection_.native_handle();
  direct_target_ = std::string(catalog.get(0, 0));
  direct_relname_ = std::string(catalog.get(0, 1));
  for (const BulkColumn& col : options_.columns) {
    direct_columns_ += (direct_columns_.empty() ? "" : ", ") + quote_identifier(conn, col.name);
  }
  return true;
}

// Whether the target already holds the key of `row` (the writer's first). Then the load is
// mostly updates or unchanged rows: a direct attempt would fail at once and leave one COPY batch
// of dead tuples behind, so the writer stages from the start.
bool BulkWriter::first_key_exists(const std::vector<BulkValue>& row) {
  if (probe_keys_.empty()) return false;
  pg_conn* conn = connection_.native_handle();
  std::string where;
  Params values;
  for (std::size_t n = 0; n < probe_keys_.size(); ++n) {
    const std::size_t i = probe_keys_[n];
    if (row[i].index() == 0) return false;  // a NULL key: the merge reports it
    where += (n ? " AND " : "") + quote_identifier(conn, options_.columns[i].name) + " = $" +
             std::to_string(n + 1) + "::" + sql_type(options_.columns[i].type);
    if (options_.columns[i].type != BulkType::text) {
      values.add(std::get<std::int64_t>(row[i]));
    } else {
      values.add(std::get<std::string>(row[i]));
    }
  }
  Result found = connection_.execute(
      "SELECT EXISTS (SELECT FROM " + direct_target_ + " WHERE " + where + ")", values);
  return found.get(0, 0) == "t";
}

void BulkWriter::create_stage() {
  if (stage_created_) return;
  pg_conn* conn = connection_.native_handle();
  std::string columns;
  for (const BulkColumn& c : options_.columns) {
    columns +=
        (columns.empty() ? "" : ", ") + quote_identifier(conn, c.name) + " " + sql_type(c.type);
  }
  connection_.execute("CREATE TEMPORARY TABLE " + stage_ + " (" + columns + ") ON COMMIT DROP");
  stage_created_ = true;
}

void BulkWriter::rollback_chunk_savepoint() {
  savepoint_open_ = false;
  connection_.execute(std::string("ROLLBACK TO SAVEPOINT ") + kChunkSavepoint);
  connection_.execute(std::string("RELEASE SAVEPOINT ") + kChunkSavepoint);
}

BulkWriter::~BulkWriter() {
  if (finished_) return;
  pg_conn* conn = connection_.native_handle();
  if (copying_) {
    if (!chunk_direct_ && !own_transaction_) {
      // A staged chunk only ever reaches the stage: ending its COPY normally (the buffer holds
      // whole rows) keeps the caller's transaction usable; the stage is dropped below. A direct
      // chunk's COPY is aborted and rolled back to its savepoint.
      BinaryCopyEncoder::trailer(buffer_);
      PQputCopyData(conn, buffer_.data(), static_cast<int>(buffer_.size()));
      PQclear(end_copy(conn));
    } else {
      PQclear(end_copy(conn, "pgfast: BulkWriter abandoned"));
    }
  }
  try {
    if (own_transaction_) {
      connection_.execute("ROLLBACK");
    } else {
      // An abandoned direct chunk: undo it, which also leaves the caller's transaction usable.
      if (savepoint_open_) rollback_chunk_savepoint();
      if (stage_created_ && connection_.transaction_status() == TransactionStatus::in_transaction) {
        connection_.execute("DROP TABLE IF EXISTS " + stage_);
      }
    }
  } catch (const std::exception&) {
    // The connection is broken or the caller's transaction failed: nothing left to clean here.
  }
}

void BulkWriter::begin_copy() {
  pg_conn* conn = connection_.native_handle();
  chunk_direct_ = direct_;
  const bool keep = keeps_chunk();
  // Upsert: the fallback to the stage undoes the chunk. Insert mode in the caller's transaction:
  // a writer dropped mid-chunk undoes it and leaves that transaction usable.
  if (keep || (chunk_direct_ && !own_transaction_)) {
    connection_.execute(std::string("SAVEPOINT ") + kChunkSavepoint);
    savepoint_open_ = true;
  }
  const std::string sql = chunk_direct_ ? "COPY " + direct_target_ + " (" + direct_columns_ +
                                              ") FROM STDIN (FORMAT binary)"
                                        : "COPY " + stage_ + " FROM STDIN (FORMAT binary)";
  PGresult* r = PQexec(conn, sql.c_str());
  if (r == nullptr || PQresultStatus(r) != PGRES_COPY_IN) {
    if (keep && r != nullptr && !connection_.broken()) {
      // The target refused the COPY itself: the staged path decides.
      PQclear(r);
      rollback_chunk_savepoint();
      direct_ = false;
      begin_copy();
      return;
    }
    if (chunk_direct_) savepoint_open_ = false;  // an error aborts the transaction, as elsewhere
    connection_.throw_error(r);
  }
  PQclear(r);
  copying_ = true;
  buffer_.clear();
  BinaryCopyEncoder::header(buffer_);
  kept_.clear();
  if (keep) kept_ = buffer_;
}

void BulkWriter::add_row(const std::vector<BulkValue>& row) {
  if (finished_) throw ClientError("pgfast: BulkWriter already finished");
  const std::uint64_t number = rows_added_ + 1;
  if (row.size() != options_.columns.size()) {
    throw ClientError("pgfast: row " + std::to_string(number) + " has " +
                      std::to_string(row.size()) + " values, expected " +
                      std::to_string(options_.columns.size()));
  }
  for (std::size_t i = 0; i < row.size(); ++i) {
    if (row[i].index() != 0 && row[i].index() != value_index(options_.columns[i].type)) {
      throw ClientError("pgfast: row " + std::to_string(number) + ", column \"" +
                        options_.columns[i].name + "\": value does not match the column's " +
                        sql_type(options_.columns[i].type) + " type");
    }
    if (options_.columns[i].type == BulkType::int32 && row[i].index() == 1) {
      const std::int64_t v = std::get<std::int64_t>(row[i]);
      if (v < std::numeric_limits<std::int32_t>::min() ||
          v > std::numeric_limits<std::int32_t>::max()) {
        throw ClientError("pgfast: row " + std::to_string(number) + ", column \"" +
                          options_.columns[i].name + "\": value " + std::to_string(v) +
                          " is out of range for type integer");
      }
    }
  }
  if (!copying_) {
    if (direct_ && options_.mode == BulkMode::upsert && rows_added_ == 0 && first_key_exists(row)) {
      direct_ = false;
    }
    begin_copy();
  }
  const std::size_t before = buffer_.size();
  BinaryCopyEncoder::row(buffer_, row, widths_);
  bytes_in_chunk_ += buffer_.size() - before;
  if (keeps_chunk()) kept_.append(buffer_, before, std::string::npos);
  ++rows_added_;
  ++rows_in_chunk_;
  if (buffer_.size() >= kSendThreshold) {
    if (PQputCopyData(connection_.native_handle(), buffer_.data(),
                      static_cast<int>(buffer_.size())) != 1) {
      connection_.throw_error(nullptr);
    }
    progress_.bytes_sent += buffer_.size();
    buffer_.clear();
  }
  if (rows_in_chunk_ >= options_.chunk_rows || bytes_in_chunk_ >= options_.chunk_bytes) {
    flush_chunk();
  }
}

void BulkWriter::flush_chunk() {
  if (!copying_) return;
  pg_conn* conn = connection_.native_handle();
  BinaryCopyEncoder::trailer(buffer_);
  if (PQputCopyData(conn, buffer_.data(), static_cast<int>(buffer_.size())) != 1) {
    connection_.throw_error(nullptr);
  }
  progress_.bytes_sent += buffer_.size();
  buffer_.clear();
  copying_ = false;
  PGresult* r = end_copy(conn);
  const bool copied = r != nullptr && PQresultStatus(r) == PGRES_COMMAND_OK;

  if (!chunk_direct_) {
    if (!copied) connection_.throw_error(r);
    PQclear(r);
    staged_chunk();
  } else if (copied) {
    PQclear(r);
    if (savepoint_open_) {
      savepoint_open_ = false;
      connection_.execute(std::string("RELEASE SAVEPOINT ") + kChunkSavepoint);
    }
    result_.inserted += static_cast<std::int64_t>(rows_in_chunk_);
    ++progress_.chunks_direct;
  } else if (options_.mode == BulkMode::insert || r == nullptr || connection_.broken()) {
    // Insert mode: the COPY's error is the answer; COPY names the tuple within this chunk. The
    // error aborts the transaction, as a failed merge does (no rollback to the savepoint).
    savepoint_open_ = false;
    std::optional<std::uint64_t> row;
    std::optional<std::string> column;
    const char* context = r == nullptr ? nullptr : PQresultErrorField(r, PG_DIAG_CONTEXT);
    if (context != nullptr) {
      FailedRow position = failed_row_from_copy_context(context, direct_relname_);
      if (position.row) {
        row = chunk_first_row_ + *position.row - 1;
        column = copy_error_column(position, r);
      }
    }
    try {
      connection_.throw_error(r);
    } catch (const DatabaseError& e) {
      throw_database_error(info_with_row(e, row, column));
    }
  } else {
    // Upsert: some row was not simply new (an existing key, a duplicate within the input) or
    // failed otherwise. Undo the attempt; from now on the stage and the merge decide.
    PQclear(r);
    rollback_chunk_savepoint();
    direct_ = false;
    create_stage();
    copy_kept_into_stage();
    staged_chunk();
  }
  kept_.clear();
  result_.rows += rows_in_chunk_;
  chunk_first_row_ += rows_in_chunk_;
  rows_in_chunk_ = 0;
  bytes_in_chunk_ = 0;
  ++progress_.chunks_merged;
  progress_.rows_sent = rows_added_;
  if (options_.on_progress) options_.on_progress(progress_);
}

void BulkWriter::copy_kept_into_stage() {
  pg_conn* conn = connection_.native_handle();
  PGresult* r = PQexec(conn, ("COPY " + stage_ + " FROM STDIN (FORMAT binary)").c_str());
  if (r == nullptr || PQresultStatus(r) != PGRES_COPY_IN) connection_.throw_error(r);
  PQclear(r);
  BinaryCopyEncoder::trailer(kept_);
  for (std::size_t at = 0; at < kept_.size(); at += kSendThreshold) {
    const std::size_t n = std::min(kSendThreshold, kept_.size() - at);
    if (PQputCopyData(conn, kept_.data() + at, static_cast<int>(n)) != 1) {
      connection_.throw_error(nullptr);
    }
  }
  r = end_copy(conn);
  if (r == nullptr || PQresultStatus(r) != PGRES_COMMAND_OK) connection_.throw_error(r);
  PQclear(r);
  kept_.clear();
}

bool BulkWriter::keeps_chunk() const {
  return chunk_direct_ && options_.mode == BulkMode::upsert;
}

void BulkWriter::staged_chunk() {
  if (staged_rows_ == 0) stage_first_row_ = chunk_first_row_;
  staged_rows_ += rows_in_chunk_;
  staged_bytes_ += bytes_in_chunk_;
  if (staged_rows_ >= options_.merge_rows || staged_bytes_ >= options_.merge_bytes) merge_stage();
}

void BulkWriter::merge_stage() {
  try {
    if (options_.mode == BulkMode::upsert) {
      Result counts = run_upsert();
      result_.inserted += counts.as<std::int64_t>(0, 0);
      result_.updated += counts.as<std::int64_t>(0, 1);
      result_.unchanged += counts.as<std::int64_t>(0, 2);
    } else {
      // Insert mode: the INSERT casts the staged values to the target's column types.
      std::string columns;
      std::string casts;
      pg_conn* c = connection_.native_handle();
      Result types = connection_.execute(
          "SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod) FROM "
          "pg_catalog.pg_attribute a WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT "
          "a.attisdropped",
          params(options_.target));
      for (const BulkColumn& col : options_.columns) {
        std::string type;
        for (int i = 0; i < types.rows(); ++i) {
          if (types.get(i, 0) == col.name) type = std::string(types.get(i, 1));
        }
        if (type.empty()) {
          throw_database_error("42703",
                               "column \"" + col.name + "\" does not exist in " + options_.target);
        }
        std::string q = quote_identifier(c, col.name);
        columns += (columns.empty() ? "" : ", ") + q;
        casts += (casts.empty() ? "" : ", ") + q + "::" + type;
      }
      Result inserted = connection_.execute("INSERT INTO " + options_.target + " (" + columns +
                                            ") SELECT " + casts + " FROM " + stage_);
      result_.inserted += static_cast<std::int64_t>(inserted.affected_rows());
    }
  } catch (const DatabaseError& e) {
    // The extension names the staged row (its position in the stage) in the DETAIL: map it to
    // the row number of add_row().
    FailedRow position = failed_row_from_detail(e.detail());
    std::optional<std::uint64_t> row;
    if (position.row) row = stage_first_row_ + *position.row - 1;
    throw_database_error(info_with_row(e, row, position.column));
  }
  connection_.execute("TRUNCATE " + stage_);
  staged_rows_ = 0;
  staged_bytes_ = 0;
  ++progress_.merges;
}

BulkResult BulkWriter::finish() {
  if (finished_) throw ClientError("pgfast: BulkWriter already finished");
  flush_chunk();
  if (staged_rows_ > 0) merge_stage();
  if (stage_created_) connection_.execute("DROP TABLE " + stage_);
  if (own_transaction_) connection_.execute("COMMIT");
  finished_ = true;
  detail::count_bulk_rows(options_.metrics.get(), result_);
  return result_;
}

}  // namespace pgfast
