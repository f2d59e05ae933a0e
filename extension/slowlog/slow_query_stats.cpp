// pgfast.slow_query_stats (the view's function): per-statement latency statistics, hidden where
// the caller may not see them (slowlog/visibility.hpp).
#include <string>
#include <vector>

#include "core/error.hpp"
#include "pg/datum.hpp"
#include "pg/sql_function.hpp"
#include "pg/srf.hpp"
#include "slowlog/store.hpp"
#include "slowlog/visibility.hpp"

extern "C" {
#include "utils/timestamp.h"
}

namespace pgfast::slowlog {

PGFAST_FUNCTION(pgfast_slow_query_stats) {
  std::vector<StatementStats> rows = store::read_stats();
  pg::MaterializedResult result(fcinfo);
  Visibility visibility;
  constexpr int kColumns = 11;
  if (result.columns() != kColumns) throw Error(sqlstate::kInternalError, "result shape mismatch");
  const std::string hidden = kHiddenQuery;
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
    values[10] = pg::text_datum(visible ? s.sample_query : hidden);
    result.put(values, nulls);
  }
  return static_cast<Datum>(0);
}

}  // namespace pgfast::slowlog
