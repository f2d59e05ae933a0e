// pgfast.bulk_upsert(target, rows, conflict_columns, update_columns, options)
//   -> (inserted, updated, unchanged) (bulk/upsert.hpp).
#include "bulk/upsert.hpp"
#include "pg/spi.hpp"
#include "pg/sql_function.hpp"

namespace pgfast::bulk {

PGFAST_FUNCTION(pgfast_bulk_upsert) {
  pg::SpiSession spi;
  UpsertCall call = read_upsert_call(spi, fcinfo, "bulk_upsert");
  return counts_result(fcinfo, upsert_json_rows(spi, fcinfo, call, false));
}

}  // namespace pgfast::bulk
