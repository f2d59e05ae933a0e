#include "pgfast/bulk_writer.hpp"

#include <libpq-fe.h>

#include <cstring>
#include <regex>

#include "pgfast/connection.hpp"
#include "pgfast/params.hpp"
#include "pgfast/result.hpp"

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
  }
  return 4;
}

std::string quote_identifier(pg_conn* conn, const std::string& name) {
  char* quoted = PQescapeIdentifier(conn, name.c_str(), name.size());
  if (quoted == nullptr) throw ClientError("pgfast: cannot quote identifier \"" + name + "\"");
  std::string out(quoted);
  PQfreemem(quoted);
  return out;
}

std::string message_with_row(const DatabaseError& cause, std::optional<std::uint64_t> row) {
  return row ? "row " + std::to_string(*row) + ": " + cause.what() : std::string(cause.what());
}

}  // namespace

BulkWriteError::BulkWriteError(const DatabaseError& cause, std::optional<std::uint64_t> row)
    : DatabaseError(cause.sqlstate(), message_with_row(cause, row), cause.detail(), cause.hint()),
      row_(row) {}

BulkWriter::BulkWriter(Connection& connection, BulkWriterOptions options)
    : connection_(connection), options_(std::move(options)) {
  if (options_.columns.empty()) throw ClientError("pgfast: BulkWriter needs at least one column");
  if (options_.chunk_rows == 0) throw ClientError("pgfast: BulkWriter chunk_rows must be >= 1");
  static std::uint64_t counter = 0;
  pg_conn* conn = connection_.native_handle();
  stage_ = "pg_temp." + quote_identifier(conn, "pgfast_bulk_writer_" + std::to_string(++counter));
  if (connection_.transaction_status() == TransactionStatus::idle) {
    connection_.execute("BEGIN");
    own_transaction_ = true;
  }
  std::string columns;
  for (const BulkColumn& c : options_.columns) {
    columns +=
        (columns.empty() ? "" : ", ") + quote_identifier(conn, c.name) + " " + sql_type(c.type);
  }
  connection_.execute("CREATE TEMPORARY TABLE " + stage_ + " (" + columns + ") ON COMMIT DROP");
}

BulkWriter::~BulkWriter() {
  if (finished_) return;
  pg_conn* conn = connection_.native_handle();
  if (copying_) {
    PQputCopyEnd(conn, "pgfast: BulkWriter abandoned");
    while (PGresult* r = PQgetResult(conn)) PQclear(r);
  }
  try {
    if (own_transaction_) {
      connection_.execute("ROLLBACK");
    } else if (connection_.transaction_status() == TransactionStatus::in_transaction) {
      connection_.execute("DROP TABLE IF EXISTS " + stage_);
    }
  } catch (const std::exception&) {
    // The connection is broken or the caller's transaction failed: nothing left to clean here.
  }
}

void BulkWriter::begin_copy() {
  pg_conn* conn = connection_.native_handle();
  PGresult* r = PQexec(conn, ("COPY " + stage_ + " FROM STDIN (FORMAT binary)").c_str());
  if (r == nullptr || PQresultStatus(r) != PGRES_COPY_IN) connection_.throw_error(r);
  PQclear(r);
  copying_ = true;
  buffer_.clear();
  BinaryCopyEncoder::header(buffer_);
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
  }
  if (!copying_) begin_copy();
  const std::size_t before = buffer_.size();
  BinaryCopyEncoder::row(buffer_, row);
  bytes_in_chunk_ += buffer_.size() - before;
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
  if (PQputCopyData(conn, buffer_.data(), static_cast<int>(buffer_.size())) != 1 ||
      PQputCopyEnd(conn, nullptr) != 1) {
    connection_.throw_error(nullptr);
  }
  progress_.bytes_sent += buffer_.size();
  buffer_.clear();
  copying_ = false;
  PGresult* r = PQgetResult(conn);
  if (r == nullptr || PQresultStatus(r) != PGRES_COMMAND_OK) connection_.throw_error(r);
  PQclear(r);
  while (PGresult* extra = PQgetResult(conn)) PQclear(extra);

  try {
    if (options_.mode == BulkMode::upsert) {
      std::optional<std::string> conflict;
      if (!options_.conflict_columns.empty()) conflict = array_literal(options_.conflict_columns);
      std::optional<std::string> update;
      if (options_.update_columns) update = array_literal(*options_.update_columns);
      Result counts = connection_.execute(
          "SELECT inserted, updated, unchanged FROM pgfast.bulk_upsert_from($1::regclass, "
          "$2::regclass, $3::text[], $4::text[], $5::jsonb)",
          params(options_.target, stage_, conflict, update, options_.options_json));
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
    // The extension names a staged row as source[n]: map it to the row number of add_row().
    std::optional<std::uint64_t> row;
    static const std::regex kSourceRow(R"(source\[(\d+)\])");
    std::cmatch m;
    if (std::regex_search(e.what(), m, kSourceRow)) {
      row = chunk_first_row_ + std::stoull(m[1].str()) - 1;
    }
    throw BulkWriteError(e, row);
  }
  connection_.execute("TRUNCATE " + stage_);
  result_.rows += rows_in_chunk_;
  chunk_first_row_ += rows_in_chunk_;
  rows_in_chunk_ = 0;
  bytes_in_chunk_ = 0;
  ++progress_.chunks_merged;
  progress_.rows_sent = rows_added_;
  if (options_.on_progress) options_.on_progress(progress_);
}

BulkResult BulkWriter::finish() {
  if (finished_) throw ClientError("pgfast: BulkWriter already finished");
  flush_chunk();
  connection_.execute("DROP TABLE " + stage_);
  if (own_transaction_) connection_.execute("COMMIT");
  finished_ = true;
  return result_;
}

}  // namespace pgfast
