// pgfast.bulk_insert(target, rows, options) -> (ord, key): key is the new row's primary key (or
// first unique key on NOT NULL columns), NULL for a table with neither or when the caller has no
// SELECT on its columns (returning it would need that; an INSERT-only role can still insert). One
// INSERT ... SELECT straight from the jsonb, no stage: no TEMP privilege needed.
#include <optional>
#include <string>
#include <vector>

#include "bulk/arguments.hpp"
#include "bulk/options.hpp"
#include "bulk/stage.hpp"
#include "core/bulk_sql.hpp"
#include "core/error.hpp"
#include "pg/datum.hpp"
#include "pg/relation_info.hpp"
#include "pg/spi.hpp"
#include "pg/sql_function.hpp"
#include "pg/srf.hpp"

extern "C" {
#include "catalog/pg_type.h"
}

namespace pgfast::bulk {

namespace {

// True when the caller has SELECT on every one of `columns` (table or column privilege): what
// RETURNING them needs.
bool may_select(pg::SpiSession& spi, const pg::RelationInfo& target,
                const std::vector<std::string>& columns) {
  for (const std::string& c : columns) {
    pg::SpiArgs args;
    args.add(OIDOID, ObjectIdGetDatum(target.oid));
    args.add_text(c);
    spi.execute("SELECT pg_catalog.has_column_privilege($1, $2, 'SELECT')", args, true);
    if (spi.text(0, 0) != std::optional<std::string>("t")) return false;
  }
  return true;
}

}  // namespace

PGFAST_FUNCTION(pgfast_bulk_insert) {
  pg::SpiSession spi;
  pg::RelationInfo target = read_target(spi, fcinfo, "bulk_insert", false);
  Datum rows = require_arg(fcinfo, 1, "rows");
  parse_options(fcinfo, 2);
  JsonRows in = read_json_rows(spi, target, rows, "rows");
  std::vector<std::string> key;
  for (const pg::UniqueIndex& u : target.unique_indexes) {
    if (u.all_not_null) {
      key = u.columns;
      break;
    }
  }
  if (!may_select(spi, target, key)) key.clear();
  pg::MaterializedResult result(fcinfo);
  if (in.count == 0) return static_cast<Datum>(0);
  if (in.columns.empty()) throw Error(sqlstate::kInvalidParameterValue, "rows carry no columns");
  const std::string ord = free_ord_name(target);
  bulk_sql::Tables t{target.qualified_name, json_rows_source(target, ord), ord};
  const uint64_t inserted =
      run_over_json_rows(spi, target, in, bulk_sql::insert_all(t, in.columns, key));
  if (key.empty()) {
    // No RETURNING: the rows went in in ord order.
    for (uint64_t r = 0; r < inserted; ++r) {
      Datum values[2] = {Int64GetDatum(static_cast<int64_t>(r + 1)), 0};
      bool nulls[2] = {false, true};
      result.put(values, nulls);
    }
    return static_cast<Datum>(0);
  }
  for (uint64_t r = 0; r < spi.rows(); ++r) {
    Datum values[2] = {Int64GetDatum(std::stoll(spi.text_not_null(r, 0))),
                       pg::jsonb_datum(spi.text_not_null(r, 1))};
    bool nulls[2] = {false, false};
    result.put(values, nulls);
  }
  return static_cast<Datum>(0);
}

}  // namespace pgfast::bulk
