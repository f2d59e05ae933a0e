// pgfast.bulk_upsert_from(target, source, conflict_columns, update_columns, options)
//   -> (inserted, updated, unchanged): the rows of a table or view, first tried in place, without a
// stage (bulk/in_place.hpp), else staged and upserted like bulk_upsert (bulk/upsert.hpp).
#include <optional>

#include "bulk/arguments.hpp"
#include "bulk/in_place.hpp"
#include "bulk/upsert.hpp"
#include "pg/spi.hpp"
#include "pg/sql_function.hpp"

namespace pgfast::bulk {

PGFAST_FUNCTION(pgfast_bulk_upsert_from) {
  pg::SpiSession spi;
  UpsertCall call = read_upsert_call(spi, fcinfo, "bulk_upsert_from");
  Oid source = DatumGetObjectId(require_arg(fcinfo, 1, "source"));
  if (std::optional<InPlaceCounts> c = upsert_in_place(
          spi, call.target, source, call.conflict_columns, call.update_columns, call.options)) {
    Outcome o;
    o.inserted = c->inserted;
    o.updated = c->updated;
    o.unchanged = c->unchanged;
    return counts_result(fcinfo, o);
  }
  Stage stage = stage_relation(spi, call.target, source);
  Outcome o = run_upsert(spi, call, stage, "source", false);
  drop_stage(spi, stage);
  return counts_result(fcinfo, o);
}

}  // namespace pgfast::bulk
