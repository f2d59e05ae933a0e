#include "slowlog/capture.hpp"

#include <algorithm>
#include <climits>
#include <string>

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

// The statement's own text out of a possibly multi-statement query string, truncated to `max`
// bytes without cutting a multibyte character.
std::string statement_text(const char* source, int location, int length, size_t max) {
  if (source == nullptr) return {};
  const char* text =
      pg::call([source, &location, &length] { return CleanQuerytext(source, &location, &length); });
  int clipped = pg::call([text, length, max] {
    return pg_mbcliplen(text, length, static_cast<int>(std::min<size_t>(max, INT_MAX)));
  });
  return std::string(text, static_cast<size_t>(clipped));
}

// The client's numeric address, computed once per backend; empty for Unix sockets and workers.
const std::string& client_address() {
  static bool computed = false;
  static std::string address;
  if (computed) return address;
  computed = true;
  if (MyBEEntry == nullptr) return address;
  const SockAddr* peer = &MyBEEntry->st_clientaddr;
  int family = peer->addr.ss_family;
  if (family != AF_INET && family != AF_INET6) return address;
  char host[NI_MAXHOST];
  host[0] = '\0';
  int rc = pg::call([peer, &host] {
    return pg_getnameinfo_all(&peer->addr, peer->salen, host, sizeof host, nullptr, 0,
                              NI_NUMERICHOST);
  });
  if (rc == 0) address = host;
  return address;
}

CapturedStatement common_fields(double duration_ms, int nesting_level) {
  CapturedStatement s;
  s.captured_at = pg::call([] { return GetCurrentTimestamp(); });
  s.pid = MyProcPid;
  s.dbid = MyDatabaseId;
  s.userid = GetUserId();
  s.duration_ms = duration_ms;
  s.nesting_level = nesting_level;
  s.application_name = application_name != nullptr ? application_name : "";
  s.client_addr = client_address();
  return s;
}

// EXPLAIN (no ANALYZE) of the finished query, in the executor's per-query memory.
std::string explain(QueryDesc* query_desc, PlanFormat format, size_t max) {
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
  int clipped = pg::call([out, length, max] {
    return pg_mbcliplen(out->data, static_cast<int>(length),
                        static_cast<int>(std::min<size_t>(max, INT_MAX)));
  });
  return std::string(out->data, static_cast<size_t>(clipped));
}

void log_and_store(const CapturedStatement& s) {
  if (settings.log) {
    const char* query = s.query.c_str();
    double seconds = s.duration_ms / 1000.0;
    pg::call([query, seconds] {
      ereport(LOG, (errmsg("SLOW QUERY (%.3fs): %s", seconds, query), errhidestmt(true),
                    errhidecontext(true)));
    });
  }
  store::record(s, s.duration_ms);
}

}  // namespace

void capture_executor(QueryDesc* query_desc, double duration_ms, int nesting_level) {
  CapturedStatement s = common_fields(duration_ms, nesting_level);
  PlannedStmt* planned = query_desc->plannedstmt;
  s.queryid = planned->queryId;
  s.rows = query_desc->estate->es_processed;
  const Instrumentation* totals = query_desc->totaltime;
  s.shared_blks_hit = totals->bufusage.shared_blks_hit;
  s.shared_blks_read = totals->bufusage.shared_blks_read;
  s.temp_blks_written = totals->bufusage.temp_blks_written;
  s.wal_bytes = totals->walusage.wal_bytes;
  s.query = statement_text(query_desc->sourceText, planned->stmt_location, planned->stmt_len,
                           static_cast<size_t>(settings.text_max));
  auto format = static_cast<PlanFormat>(settings.plan);
  if (format != PlanFormat::kOff && settings.plan_max > 0) {
    s.plan = explain(query_desc, format, static_cast<size_t>(settings.plan_max));
    s.has_plan = true;
  }
  log_and_store(s);
}

void capture_utility(PlannedStmt* statement, const char* query_string, double duration_ms,
                     uint64 rows, const BufferUsage* buffers, const WalUsage* wal,
                     int nesting_level) {
  CapturedStatement s = common_fields(duration_ms, nesting_level);
  s.queryid = statement->queryId;
  s.rows = rows;
  s.shared_blks_hit = buffers->shared_blks_hit;
  s.shared_blks_read = buffers->shared_blks_read;
  s.temp_blks_written = buffers->temp_blks_written;
  s.wal_bytes = wal->wal_bytes;
  s.query = statement_text(query_string, statement->stmt_location, statement->stmt_len,
                           static_cast<size_t>(settings.text_max));
  log_and_store(s);
}

}  // namespace pgfast::slowlog
