// SQL functions behind pgfast.slow_queries, pgfast.slow_query_stats, pgfast.slow_queries_info()
// and pgfast.slow_queries_reset().
#include <string>
#include <unordered_map>
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

// What one role sees of another's statements follows pg_stat_activity: everything of roles whose
// privileges it has (itself, roles it is a member of) or with pg_read_all_stats; of the others, no
// query text, plan, queryid, client address or application name. The hiding happens here, before
// any row reaches the caller's query, so no function in the caller's WHERE can see hidden values.
class Visibility {
 public:
  Visibility()
      : me_(GetUserId()),
        all_(pg::call([] { return has_privs_of_role(GetUserId(), ROLE_PG_READ_ALL_STATS); })) {}

  bool of(Oid role) {
    if (all_ || role == me_) return true;
    auto known = cache_.find(role);
    if (known != cache_.end()) return known->second;
    Oid me = me_;
    bool visible = pg::call([me, role] { return has_privs_of_role(me, role); });
    cache_.emplace(role, visible);
    return visible;
  }

 private:
  Oid me_;
  bool all_;
  std::unordered_map<Oid, bool> cache_;
};

Datum text_datum(const std::string& text) {
  const char* data = text.c_str();
  return pg::call([data] { return CStringGetTextDatum(data); });
}

Datum slow_queries(FunctionCallInfo fcinfo) {
  std::vector<CapturedStatement> rows = store::read_ring();
  pg::MaterializedResult result(fcinfo);
  Visibility visibility;
  constexpr int kColumns = 17;
  if (result.columns() != kColumns) throw Error(sqlstate::kInternalError, "result shape mismatch");
  const std::string hidden = kHidden;
  for (const CapturedStatement& s : rows) {
    Datum values[kColumns];
    bool nulls[kColumns] = {};
    bool visible = visibility.of(s.userid);
    values[0] = TimestampTzGetDatum(s.captured_at);
    values[1] = Int32GetDatum(s.pid);
    values[2] = ObjectIdGetDatum(s.dbid);
    values[3] = ObjectIdGetDatum(s.userid);
    if (visible) values[4] = text_datum(s.application_name);
    nulls[4] = !visible;
    if (visible && !s.client_addr.empty()) values[5] = text_datum(s.client_addr);
    nulls[5] = !visible || s.client_addr.empty();
    values[6] = Int64GetDatum(static_cast<int64>(s.queryid));
    nulls[6] = !visible;
    values[7] = Float8GetDatum(s.duration_ms);
    values[8] = Int64GetDatum(static_cast<int64>(s.rows));
    values[9] = Int64GetDatum(s.shared_blks_hit);
    values[10] = Int64GetDatum(s.shared_blks_read);
    values[11] = Int64GetDatum(s.temp_blks_written);
    values[12] = Int64GetDatum(static_cast<int64>(s.wal_bytes));
    values[13] = Int32GetDatum(s.nesting_level);
    values[14] = text_datum(visible ? s.query : hidden);
    if (visible && s.has_plan) values[15] = text_datum(s.plan);
    nulls[15] = !visible || !s.has_plan;
    values[16] = BoolGetDatum(visible);
    result.put(values, nulls);
  }
  return static_cast<Datum>(0);
}

Datum slow_query_stats(FunctionCallInfo fcinfo) {
  std::vector<StatementStats> rows = store::read_stats();
  pg::MaterializedResult result(fcinfo);
  Visibility visibility;
  constexpr int kColumns = 11;
  if (result.columns() != kColumns) throw Error(sqlstate::kInternalError, "result shape mismatch");
  const std::string hidden = kHidden;
  for (const StatementStats& s : rows) {
    Datum values[kColumns];
    bool nulls[kColumns] = {};
    bool visible = visibility.of(s.userid);
    values[0] = ObjectIdGetDatum(s.dbid);
    values[1] = ObjectIdGetDatum(s.userid);
    values[2] = Int64GetDatum(static_cast<int64>(s.queryid));
    nulls[2] = !visible;
    values[3] = Int64GetDatum(static_cast<int64>(s.calls));
    values[4] = Float8GetDatum(s.total_ms);
    values[5] = Float8GetDatum(s.p50_ms);
    values[6] = Float8GetDatum(s.p95_ms);
    values[7] = Float8GetDatum(s.p99_ms);
    values[8] = Float8GetDatum(s.max_ms);
    values[9] = TimestampTzGetDatum(s.last_seen);
    values[10] = text_datum(visible ? s.sample_query : hidden);
    result.put(values, nulls);
  }
  return static_cast<Datum>(0);
}

Datum slow_queries_info(FunctionCallInfo fcinfo) {
  RingInfo info = store::info();
  // The 0.2.0 columns follow 0.1.0's four, so a 0.1.0 declaration takes the first four.
  Datum values[6] = {Int64GetDatum(info.capacity),     Int64GetDatum(info.used),
                     Int64GetDatum(info.overwritten),  TimestampTzGetDatum(info.since),
                     Int64GetDatum(info.max_per_role), Int64GetDatum(info.dropped)};
  bool nulls[6] = {};
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
