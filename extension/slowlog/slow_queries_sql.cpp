// SQL functions behind pgfast.slow_queries, pgfast.slow_query_stats, pgfast.slow_queries_info()
// and pgfast.slow_queries_reset().
#include <vector>

#include "pg/guard.hpp"
#include "pg/srf.hpp"
#include "slowlog/store.hpp"

extern "C" {
#include "catalog/pg_authid.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
}

namespace pgfast::slowlog {

namespace {

constexpr char kHidden[] = "<insufficient privilege>";

// Query texts of other users are shown only to roles with pg_read_all_stats (as
// pg_stat_statements does).
bool may_read_all() {
  return pg::call([] { return has_privs_of_role(GetUserId(), ROLE_PG_READ_ALL_STATS); });
}

Datum text_or_hidden(const std::string& text, bool visible) {
  const char* data = visible ? text.c_str() : kHidden;
  return pg::call([data] { return CStringGetTextDatum(data); });
}

Datum slow_queries(FunctionCallInfo fcinfo) {
  std::vector<CapturedStatement> rows = store::read_ring();
  pg::MaterializedResult result(fcinfo);
  bool read_all = may_read_all();
  Oid me = GetUserId();
  constexpr int kColumns = 17;
  if (result.columns() != kColumns) throw Error(sqlstate::kInternalError, "result shape mismatch");
  for (const CapturedStatement& s : rows) {
    Datum values[kColumns];
    bool nulls[kColumns] = {};
    bool visible = read_all || s.userid == me;
    values[0] = TimestampTzGetDatum(s.captured_at);
    values[1] = Int32GetDatum(s.pid);
    values[2] = ObjectIdGetDatum(s.dbid);
    values[3] = ObjectIdGetDatum(s.userid);
    values[4] = text_or_hidden(s.application_name, true);
    if (s.client_addr.empty()) {
      nulls[5] = true;
    } else {
      values[5] = text_or_hidden(s.client_addr, true);
    }
    values[6] = Int64GetDatum(static_cast<int64>(s.queryid));
    values[7] = Float8GetDatum(s.duration_ms);
    values[8] = Int64GetDatum(static_cast<int64>(s.rows));
    values[9] = Int64GetDatum(s.shared_blks_hit);
    values[10] = Int64GetDatum(s.shared_blks_read);
    values[11] = Int64GetDatum(s.temp_blks_written);
    values[12] = Int64GetDatum(static_cast<int64>(s.wal_bytes));
    values[13] = Int32GetDatum(s.nesting_level);
    values[14] = text_or_hidden(s.query, visible);
    if (s.has_plan && visible) {
      values[15] = text_or_hidden(s.plan, true);
    } else {
      nulls[15] = true;
    }
    values[16] = BoolGetDatum(visible);
    result.put(values, nulls);
  }
  return static_cast<Datum>(0);
}

Datum slow_query_stats(FunctionCallInfo fcinfo) {
  std::vector<StatementStats> rows = store::read_stats();
  pg::MaterializedResult result(fcinfo);
  bool read_all = may_read_all();
  Oid me = GetUserId();
  constexpr int kColumns = 11;
  if (result.columns() != kColumns) throw Error(sqlstate::kInternalError, "result shape mismatch");
  for (const StatementStats& s : rows) {
    Datum values[kColumns];
    bool nulls[kColumns] = {};
    values[0] = ObjectIdGetDatum(s.dbid);
    values[1] = ObjectIdGetDatum(s.userid);
    values[2] = Int64GetDatum(static_cast<int64>(s.queryid));
    values[3] = Int64GetDatum(static_cast<int64>(s.calls));
    values[4] = Float8GetDatum(s.total_ms);
    values[5] = Float8GetDatum(s.p50_ms);
    values[6] = Float8GetDatum(s.p95_ms);
    values[7] = Float8GetDatum(s.p99_ms);
    values[8] = Float8GetDatum(s.max_ms);
    values[9] = TimestampTzGetDatum(s.last_seen);
    values[10] = text_or_hidden(s.sample_query, read_all || s.userid == me);
    result.put(values, nulls);
  }
  return static_cast<Datum>(0);
}

Datum slow_queries_info(FunctionCallInfo fcinfo) {
  RingInfo info = store::info();
  Datum values[4] = {Int64GetDatum(info.capacity), Int64GetDatum(info.used),
                     Int64GetDatum(info.overwritten), TimestampTzGetDatum(info.since)};
  bool nulls[4] = {};
  return pg::composite_datum(fcinfo, values, nulls);
}

}  // namespace

}  // namespace pgfast::slowlog

extern "C" {
PG_FUNCTION_INFO_V1(pgfast_slow_queries);
Datum pgfast_slow_queries(PG_FUNCTION_ARGS) {
  return pgfast::pg::sql_entry([&] { return pgfast::slowlog::slow_queries(fcinfo); });
}

PG_FUNCTION_INFO_V1(pgfast_slow_query_stats);
Datum pgfast_slow_query_stats(PG_FUNCTION_ARGS) {
  return pgfast::pg::sql_entry([&] { return pgfast::slowlog::slow_query_stats(fcinfo); });
}

PG_FUNCTION_INFO_V1(pgfast_slow_queries_info);
Datum pgfast_slow_queries_info(PG_FUNCTION_ARGS) {
  return pgfast::pg::sql_entry([&] { return pgfast::slowlog::slow_queries_info(fcinfo); });
}

PG_FUNCTION_INFO_V1(pgfast_slow_queries_reset);
Datum pgfast_slow_queries_reset(PG_FUNCTION_ARGS) {
  (void)fcinfo;
  return pgfast::pg::sql_entry([] {
    pgfast::slowlog::store::reset();
    return static_cast<Datum>(0);
  });
}
}
