// pgfast.bulk_delete(target, keys, key_columns) -> number of rows deleted.
// Set-based on a staging table, like the upserts (bulk/upsert.hpp).
#include <optional>
#include <string>
#include <vector>

#include "bulk/arguments.hpp"
#include "bulk/keys.hpp"
#include "bulk/stage.hpp"
#include "core/bulk_sql.hpp"
#include "pg/datum.hpp"
#include "pg/relation_info.hpp"
#include "pg/spi.hpp"
#include "pg/sql_function.hpp"

extern "C" {
#include "catalog/pg_type.h"
}

namespace pgfast::bulk {

PGFAST_FUNCTION(pgfast_bulk_delete) {
  pg::SpiSession spi;
  pg::RelationInfo target = read_target(spi, fcinfo, "bulk_delete");
  Datum keys_json = require_arg(fcinfo, 1, "keys");
  auto key_columns = pg::text_array_arg(fcinfo, 2, "key_columns");
  std::vector<std::string> keys = resolve_keys(target, key_columns, "key_columns", false);
  Stage stage = stage_json(spi, target, keys_json, "keys");
  int64_t deleted = 0;
  if (stage.rows > 0) {
    check_keys_present(spi, stage, keys, "keys");
    bulk_sql::Tables t = stage.tables(target);
    // The locking pass (key order: overlapping calls cannot deadlock) needs UPDATE, as every
    // FOR UPDATE does; a DELETE-only role deletes without it, as a plain DELETE ... USING would.
    pg::SpiArgs args;
    args.add(OIDOID, ObjectIdGetDatum(target.oid));
    spi.execute("SELECT pg_catalog.has_any_column_privilege($1, 'UPDATE')", args, true);
    if (spi.text(0, 0) == std::optional<std::string>("t")) {
      spi.execute(bulk_sql::lock_existing(t, keys), false);
    }
    deleted = static_cast<int64_t>(spi.execute(bulk_sql::delete_matching(t, keys), false));
  }
  drop_stage(spi, stage);
  return Int64GetDatum(deleted);
}

}  // namespace pgfast::bulk
