// pgfast.slow_queries_info(): the capture ring's size, use and losses.
#include "pg/sql_function.hpp"
#include "pg/srf.hpp"
#include "slowlog/store.hpp"

extern "C" {
#include "utils/timestamp.h"
}

namespace pgfast::slowlog {

PGFAST_FUNCTION(pgfast_slow_queries_info) {
  RingInfo info = store::info();
  // The 0.2.0 columns follow 0.1.0's four, so a 0.1.0 declaration takes the first four.
  Datum values[6] = {Int64GetDatum(info.capacity),     Int64GetDatum(info.used),
                     Int64GetDatum(info.overwritten),  TimestampTzGetDatum(info.since),
                     Int64GetDatum(info.max_per_role), Int64GetDatum(info.dropped)};
  bool nulls[6] = {};
  return pg::composite_datum(fcinfo, values, nulls);
}

}  // namespace pgfast::slowlog
