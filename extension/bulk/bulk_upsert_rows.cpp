// pgfast.bulk_upsert_rows(target, rows, conflict_columns, update_columns, options)
//   -> (ord, action, key): what happened to each row (bulk/upsert.hpp).
#include "bulk/upsert.hpp"
#include "pg/datum.hpp"
#include "pg/spi.hpp"
#include "pg/sql_function.hpp"
#include "pg/srf.hpp"

namespace pgfast::bulk {

PGFAST_FUNCTION(pgfast_bulk_upsert_rows) {
  pg::SpiSession spi;
  UpsertCall call = read_upsert_call(spi, fcinfo, "bulk_upsert_rows");
  Outcome o = upsert_json_rows(spi, fcinfo, call, true);
  pg::MaterializedResult result(fcinfo);
  for (const auto& [ord, action] : o.actions) {
    Datum values[3] = {Int64GetDatum(ord), pg::text_datum(action_name(action)),
                       pg::jsonb_datum(o.keys.at(ord))};
    bool nulls[3] = {false, false, false};
    result.put(values, nulls);
  }
  return static_cast<Datum>(0);
}

}  // namespace pgfast::bulk
