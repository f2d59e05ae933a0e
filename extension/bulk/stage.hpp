// The staging table of a bulk call: the input rows, typed like the target's columns, with their
// 1-based input position in an internal column whose name no column of the target has (so no user
// column name can collide with it). A temporary table, dropped at the end of the call (or with the
// transaction on error). Created from the catalog's column types, not from the target, so staging
// needs no privilege on the target; it needs TEMP on the database (check_target).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/bulk_sql.hpp"
#include "pg/relation_info.hpp"
#include "pg/spi.hpp"

namespace pgfast::bulk {

struct Stage {
  std::string name;                  // quoted, qualified (pg_temp)
  std::string ord;                   // quoted: the input-position column, not a target column
  std::vector<std::string> columns;  // target columns present in the input, in table order
  int64_t rows = 0;

  bulk_sql::Tables tables(const pg::RelationInfo& target) const {
    return {target.qualified_name, name, ord};
  }
};

// From `rows`, a jsonb array of objects keyed by column name (a key missing from an object is
// NULL). Errors name the row's ord: not an array of objects (22023), an unknown column (42703), a
// generated or identity-always column (428C9), a value of the wrong type (its own SQLSTATE, e.g.
// 22P02, with the row and column named). `argument` names the SQL argument ("rows", "keys").
Stage stage_json(pg::SpiSession& spi, const pg::RelationInfo& target, Datum rows,
                 const char* argument);

// From the relation `source` (e.g. a temporary table filled by COPY): its columns must exist in
// the target; ord is the scan order.
Stage stage_relation(pg::SpiSession& spi, const pg::RelationInfo& target, Oid source);

void drop_stage(pg::SpiSession& spi, const Stage& stage);

// A new name for a temporary table of this backend, pg_temp."<prefix><n>", that no relation of
// the session's temporary schema has yet.
std::string temp_table_name(pg::SpiSession& spi, const char* prefix);

// What every bulk function refuses up front, before any work: a target that is not a table or
// partitioned table (42809), a table with rules (0A000: rules rewrite INSERT/UPDATE/DELETE, which
// breaks RETURNING and ON CONFLICT), and a caller without TEMP on the database (42501: the rows
// are staged in a temporary table). `function` names the caller in the messages.
void check_target(pg::SpiSession& spi, const pg::RelationInfo& target, const char* function);

// True for the errors that a bad input value can cause (data exceptions, class 22; integrity
// violations, class 23, e.g. a domain's CHECK; 42804 datatype mismatch): only these make a bulk
// function search for the input row to blame. Anything else (a cancel or timeout, lock or
// deadlock errors, out of memory, shutdown) ends the call at once, unchanged.
bool is_row_data_error(const std::string& sqlstate);

}  // namespace pgfast::bulk
