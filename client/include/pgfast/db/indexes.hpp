// Typed wrappers of the extension's index management and full-text search (DESIGN 4.3, 5.2):
// pgfast.ensure_index, pgfast.wait_index_job and pgfast.fts_search. Plain value types; the
// functions borrow the connection for the call (not thread-safe, as the Connection).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pgfast {

class Connection;

struct IndexSpec {
  std::string table;                 // e.g. "public.search_results"
  std::vector<std::string> columns;  // columns or expressions, e.g. {"user_id", "created_at DESC"}
  std::string method = "btree";      // btree, gin, gist, brin, hash
  std::optional<std::string> where;  // partial index predicate
  std::vector<std::string> include;  // covering columns
  bool unique = false;
  std::optional<std::string> name;  // default: chosen like PostgreSQL (table_col_idx)
  bool concurrently = false;        // queue a background CREATE INDEX CONCURRENTLY
};

struct FtsSearchRequest {
  std::string table;
  std::string query;  // web-search syntax: "quick brown" or fox -dog
  int page_size = 20;
  std::optional<std::string> after;  // next_cursor of the previous page
  bool prefix = false;               // every word also matches as a prefix
  bool cover_density = false;        // ts_rank_cd instead of ts_rank
  bool headlines = true;
};

struct FtsHit {
  std::string row;  // the row as a JSON object
  double rank = 0;
  std::optional<std::string> headline;
};

struct FtsPage {
  std::vector<FtsHit> items;
  std::optional<std::string> next_cursor;
  bool has_next = false;
  int page_size = 0;
};

// The index name: an equivalent existing index's, a pending build's, or the new one's.
std::string ensure_index(Connection& connection, const IndexSpec& spec);
// The id of the newest background build job of the index named `index_name` (nullopt: none).
std::optional<std::int64_t> index_job_id(Connection& connection, const std::string& index_name);
// Waits for a background build; returns its state (done, failed; queued/running on timeout).
// The connection must not be inside a transaction: the server refuses to wait while holding a
// snapshot or lock the build waits for (55000), unless the job has already finished.
std::string wait_index_job(Connection& connection, std::int64_t job_id, int timeout_ms = 600000);
FtsPage fts_search(Connection& connection, const FtsSearchRequest& request);

}  // namespace pgfast
