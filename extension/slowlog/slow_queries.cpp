// pgfast.slow_queries (the view's function): the ring of captured statements, hidden where the
// caller may not see them (slowlog/visibility.hpp).
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

PGFAST_FUNCTION(pgfast_slow_queries) {
  std::vector<CapturedStatement> rows = store::read_ring();
  pg::MaterializedResult result(fcinfo);
  Visibility visibility;
  constexpr int kColumns = 17;
  if (result.columns() != kColumns) throw Error(sqlstate::kInternalError, "result shape mismatch");
  const std::string hidden = kHiddenQuery;
  for (const CapturedStatement& s : rows) {
    Datum values[kColumns];
    bool nulls[kColumns] = {};
    bool visible = visibility.of(s.userid);
    values[0] = TimestampTzGetDatum(s.captured_at);
    values[1] = Int32GetDatum(s.pid);
    values[2] = ObjectIdGetDatum(s.dbid);
    values[3] = ObjectIdGetDatum(s.userid);
    if (visible) values[4] = pg::text_datum(s.application_name);
    nulls[4] = !visible;
    if (visible && !s.client_addr.empty()) values[5] = pg::text_datum(s.client_addr);
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
    values[14] = pg::text_datum(visible ? s.query : hidden);
    if (visible && s.has_plan) values[15] = pg::text_datum(s.plan);
    nulls[15] = !visible || !s.has_plan;
    values[16] = BoolGetDatum(visible);
    result.put(values, nulls);
  }
  return static_cast<Datum>(0);
}

}  // namespace pgfast::slowlog
