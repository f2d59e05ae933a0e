#include "slowlog/capture.hpp"

#include <algorithm>
#include <climits>

#include "pg/guard.hpp"
#include "pg/memory.hpp"
#include "slowlog/captured_statement.hpp"
#include "slowlog/settings.hpp"
#include "slowlog/store.hpp"

extern "C" {
#include "commands/explain.h"
#include "common/ip.h"
#include "mb/pg_wchar.h"
#include "utils/backend_status.h"
#include "utils/guc.h"
#include "utils/queryjumble.h"
#include "utils/timestamp.h"
}

namespace pgfast::slowlog {

namespace {

// The client's numeric address, computed once per backend; empty for Unix sockets and workers.
const char* client_address() {
  static bool computed = false;
  static char address[NI_MAXHOST];
  if (computed) return address;
  computed = true;
  address[0] = '\0';
  if (MyBEEntry == nullptr) return address;
  const SockAddr* peer = &MyBEEntry->st_clientaddr;
  int family = peer->addr.ss_family;
  if (family != AF_INET && family != AF_INET6) return address;
  int rc = pg::call([peer] {
    return pg_getnameinfo_all(&peer->addr, peer->salen, address, sizeof address, nullptr, 0,
                              NI_NUMERICHOST);
  });
  if (rc != 0) address[0] = '\0';
  return address;
}

CaptureRecord common_fields(double duration_ms, int nesting_level) {
  CaptureRecord r;
  r.pid = MyProcPid;
  r.dbid = MyDatabaseId;
  r.userid = GetUserId();
  r.duration_ms = duration_ms;
  r.nesting_level = nesting_level;
  r.application_name = application_name != nullptr ? application_name : "";
  r.client_addr = client_address();
  return r;
}

struct Text {
  const char* data;
  size_t len;
};

// At most `max` bytes of `text`, without cutting a multibyte character. PostgreSQL context.
size_t clipped_length(const char* text, size_t len, size_t max) {
  // Only a text longer than the limit needs the character walk (the common case skips it).
  if (len <= max) return len;
  return static_cast<size_t>(pg_mbcliplen(text, static_cast<int>(std::min<size_t>(len, INT_MAX)),
                                          static_cast<int>(std::min<size_t>(max, INT_MAX))));
}

// EXPLAIN (no ANALYZE) of the finished query, in the executor's per-query memory (which outlives
// the capture).
Text explain(QueryDesc* query_desc, PlanFormat format, size_t max) {
  MemoryContext query_context = query_desc->estate->es_query_cxt;
  pg::MemoryContextSwitch in_query_memory(query_context);
  ExplainFormat explain_format =
      format == PlanFormat::kJson ? EXPLAIN_FORMAT_JSON : EXPLAIN_FORMAT_TEXT;
  StringInfo out = pg::call([query_desc, explain_format] {
    ExplainState* es = NewExplainState();
    es->analyze = false;
    es->verbose = false;
    es->costs = true;
    es->format = explain_format;
    ExplainBeginOutput(es);
    ExplainPrintPlan(es, query_desc);
    ExplainEndOutput(es);
    return es->str;
  });
  size_t length = static_cast<size_t>(out->len);
  while (length > 0 && out->data[length - 1] == '\n') --length;
  // EXPLAIN's JSON output of one plan is a list of a bare member ("[ "Plan": {...} ]"); make it
  // the object {"Plan": {...}}, as auto_explain does.
  if (explain_format == EXPLAIN_FORMAT_JSON && length >= 2 && out->data[0] == '[' &&
      out->data[length - 1] == ']') {
    out->data[0] = '{';
    out->data[length - 1] = '}';
  }
  size_t clipped = pg::call([out, length, max] { return clipped_length(out->data, length, max); });
  return {out->data, clipped};
}

// The rest of the capture in one guarded call into PostgreSQL: the time of capture, the
// statement's own text out of a possibly multi-statement query string (truncated to
// slow_query_text_max), the log line, the ring and the statistics. Everything in this frame is
// trivially destructible.
void finish_and_store(CaptureRecord* r, const char* source, int location, int length) {
  auto max = static_cast<size_t>(settings.text_max);
  bool log = settings.log;
  pg::call([r, source, location, length, max, log] {
    r->captured_at = GetCurrentTimestamp();
    if (source != nullptr) {
      int loc = location;
      int len = length;
      const char* text = CleanQuerytext(source, &loc, &len);
      r->query = text;
      r->query_len = clipped_length(text, static_cast<size_t>(len), max);
    }
    if (log) {
      // The text is not NUL-terminated where it was cut: print it with its length.
      ereport(LOG, (errmsg("SLOW QUERY (%.3fs): %.*s", r->duration_ms / 1000.0,
                           static_cast<int>(r->query_len), r->query),
                    errhidestmt(true), errhidecontext(true)));
    }
    store::write(*r);
  });
}

}  // namespace

void capture_executor(QueryDesc* query_desc, double duration_ms, int nesting_level) {
  CaptureRecord r = common_fields(duration_ms, nesting_level);
  PlannedStmt* planned = query_desc->plannedstmt;
  r.queryid = planned->queryId;
  r.rows = query_desc->estate->es_processed;
  const Instrumentation* totals = query_desc->totaltime;
  r.shared_blks_hit = totals->bufusage.shared_blks_hit;
  r.shared_blks_read = totals->bufusage.shared_blks_read;
  r.temp_blks_written = totals->bufusage.temp_blks_written;
  r.wal_bytes = totals->walusage.wal_bytes;
  auto format = static_cast<PlanFormat>(settings.plan);
  if (format != PlanFormat::kOff && settings.plan_max > 0) {
    Text plan = explain(query_desc, format, static_cast<size_t>(settings.plan_max));
    r.plan = plan.data;
    r.plan_len = plan.len;
    r.has_plan = true;
  }
  finish_and_store(&r, query_desc->sourceText, planned->stmt_location, planned->stmt_len);
}

void capture_utility(PlannedStmt* statement, const char* query_string, double duration_ms,
                     uint64 rows, const BufferUsage* buffers, const WalUsage* wal,
                     int nesting_level) {
  CaptureRecord r = common_fields(duration_ms, nesting_level);
  r.queryid = statement->queryId;
  r.rows = rows;
  r.shared_blks_hit = buffers->shared_blks_hit;
  r.shared_blks_read = buffers->shared_blks_read;
  r.temp_blks_written = buffers->temp_blks_written;
  r.wal_bytes = wal->wal_bytes;
  finish_and_store(&r, query_string, statement->stmt_location, statement->stmt_len);
}

}  // namespace pgfast::slowlog
