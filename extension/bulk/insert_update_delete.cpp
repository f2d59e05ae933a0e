// pgfast.bulk_insert, pgfast.bulk_update, pgfast.bulk_delete (set-based on a staging table, like
// the upserts in upsert.cpp).
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "bulk/keys.hpp"
#include "bulk/matched_update.hpp"
#include "bulk/options.hpp"
#include "bulk/stage.hpp"
#include "core/bulk_sql.hpp"
#include "core/error.hpp"
#include "pg/datum.hpp"
#include "pg/guard.hpp"
#include "pg/relation_info.hpp"
#include "pg/spi.hpp"
#include "pg/sql_function.hpp"
#include "pg/srf.hpp"

extern "C" {
#include "catalog/pg_type.h"
}

namespace pgfast::bulk {

namespace {

pg::RelationInfo read_target(pg::SpiSession& spi, FunctionCallInfo fcinfo, const char* function) {
  if (PG_ARGISNULL(0)) throw Error(sqlstate::kNullValueNotAllowed, "target must not be NULL");
  pg::RelationInfo target = pg::load_relation(spi, PG_GETARG_OID(0));
  check_target(spi, target, function);
  return target;
}

Datum require_arg(FunctionCallInfo fcinfo, int n, const char* name) {
  if (PG_ARGISNULL(n)) {
    throw Error(sqlstate::kNullValueNotAllowed, std::string(name) + " must not be NULL");
  }
  return PG_GETARG_DATUM(n);
}

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

// bulk_insert(target, rows, options) -> (ord, key): key is the new row's primary key (or first
// unique key on NOT NULL columns), NULL for a table with neither or when the caller has no SELECT
// on its columns (returning it would need that; an INSERT-only role can still insert). One
// INSERT ... SELECT straight from the jsonb, no stage: no TEMP privilege needed.
Datum bulk_insert(FunctionCallInfo fcinfo) {
  pg::SpiSession spi;
  if (PG_ARGISNULL(0)) throw Error(sqlstate::kNullValueNotAllowed, "target must not be NULL");
  pg::RelationInfo target = pg::load_relation(spi, PG_GETARG_OID(0));
  check_target(spi, target, "bulk_insert", false);
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

// bulk_update(target, rows, key_columns, options) -> (updated, unchanged, missing).
Datum bulk_update(FunctionCallInfo fcinfo) {
  pg::SpiSession spi;
  pg::RelationInfo target = read_target(spi, fcinfo, "bulk_update");
  Datum rows = require_arg(fcinfo, 1, "rows");
  auto key_columns = pg::text_array_arg(fcinfo, 2, "key_columns");
  Options options = parse_options(fcinfo, 3);
  std::vector<std::string> keys = resolve_keys(target, key_columns, "key_columns", true);
  Stage stage = stage_json(spi, target, rows, "rows");
  int64_t updated = 0, unchanged = 0, missing = 0;
  if (stage.rows > 0) {
    check_keys_present(spi, stage, keys, "rows");
    std::vector<int64_t> removed =
        resolve_duplicates(spi, target, stage, keys, options.on_duplicate, "rows");
    bulk_sql::Tables t = stage.tables(target);
    std::vector<std::string> set_columns;
    for (const std::string& c : stage.columns) {
      if (std::find(keys.begin(), keys.end(), c) == keys.end()) set_columns.push_back(c);
    }
    const int64_t applied = stage.rows - static_cast<int64_t>(removed.size());
    MatchedUpdate m = update_matched_rows(spi, target, t, keys, set_columns, options.only_changed,
                                          applied, false);
    spi.execute("DROP TABLE " + m.matched_table, false);
    updated = m.updated;
    unchanged = m.matched - m.updated;
    missing = applied - m.matched;
  }
  drop_stage(spi, stage);
  pg::MaterializedResult result(fcinfo);
  Datum values[3] = {Int64GetDatum(updated), Int64GetDatum(unchanged), Int64GetDatum(missing)};
  bool nulls[3] = {false, false, false};
  result.put(values, nulls);
  return static_cast<Datum>(0);
}

// bulk_delete(target, keys, key_columns) -> number of rows deleted.
Datum bulk_delete(FunctionCallInfo fcinfo) {
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

}  // namespace

PGFAST_FUNCTION(pgfast_bulk_insert) {
  return bulk_insert(fcinfo);
}

PGFAST_FUNCTION(pgfast_bulk_update) {
  return bulk_update(fcinfo);
}

PGFAST_FUNCTION(pgfast_bulk_delete) {
  return bulk_delete(fcinfo);
}

}  // namespace pgfast::bulk
