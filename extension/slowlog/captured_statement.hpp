// One captured slow statement, as written to and read from the shared-memory ring.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace pgfast::slowlog {

// The fixed-size facts of one captured statement: what the capture records, the ring's slot keeps
// and the view shows (trivially copyable, so a slot in shared memory holds them as they are).
struct StatementFacts {
  int64_t captured_at = 0;  // TimestampTz
  int32_t pid = 0;
  uint32_t dbid = 0;
  uint32_t userid = 0;
  uint64_t queryid = 0;
  double duration_ms = 0;
  uint64_t rows = 0;
  int64_t shared_blks_hit = 0;
  int64_t shared_blks_read = 0;
  int64_t temp_blks_written = 0;
  uint64_t wal_bytes = 0;
  int32_t nesting_level = 0;
  bool has_plan = false;
};

struct CapturedStatement : StatementFacts {
  uint64_t sequence = 0;  // write number in the ring: orders the entries oldest first
  std::string application_name;
  std::string client_addr;  // numeric host, empty for Unix-socket and background connections
  std::string query;        // already truncated to pgfast.slow_query_text_max
  std::string plan;         // already truncated to pgfast.slow_query_plan_max
};

// What a capture hands to the store (store::write): the same fields as views into the backend's
// memory (query text, plan, names), so the hot path builds no string and allocates nothing.
struct CaptureRecord : StatementFacts {
  const char* application_name = "";  // NUL-terminated
  const char* client_addr = "";       // NUL-terminated
  const char* query = "";             // query_len bytes, already truncated
  size_t query_len = 0;
  const char* plan = "";  // plan_len bytes, already truncated
  size_t plan_len = 0;
};

// One (database, user, queryid) row of pgfast.slow_query_stats.
struct StatementStats {
  uint32_t dbid = 0;
  uint32_t userid = 0;
  uint64_t queryid = 0;
  uint64_t calls = 0;
  double total_ms = 0;
  double p50_ms = 0;
  double p95_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
  int64_t last_seen = 0;
  std::string sample_query;
};

// Since the last reset every capture offered to the ring is held (`used`), was replaced by a newer
// entry as the ring wrapped (`overwritten`), was replaced by a newer entry of its own role because
// that role held its share and the slot offered held another role's entry (`dropped`), or never
// found a free slot lock (also `dropped`).
struct RingInfo {
  int64_t capacity = 0;
  int64_t used = 0;
  int64_t overwritten = 0;
  int64_t since = 0;         // TimestampTz of the last reset (or server start)
  int64_t max_per_role = 0;  // entries from which a role no longer evicts other roles' entries
  int64_t dropped = 0;
};

}  // namespace pgfast::slowlog
