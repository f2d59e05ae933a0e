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

// The rows of a jsonb argument, checked as stage_json describes but not staged.
struct JsonRows {
  Datum value = 0;
  std::vector<std::string> columns;  // target columns named in the input, in table order
  int64_t count = 0;
};

JsonRows read_json_rows(pg::SpiSession& spi, const pg::RelationInfo& target, Datum rows,
                        const char* argument);

// The input rows as a parenthesized subquery ($1 = the rows): the position in column `ord` (quoted;
// a name from free_ord_name) and every column of the target.
std::string json_rows_source(const pg::RelationInfo& target, const std::string& ord);

// Runs `sql`, a statement reading json_rows_source ($1 = in.value), in a subtransaction. A data
// error is raised again with the first input row (and column) that fails to convert in its DETAIL
// (core/row_error.hpp), as in stage_json; any other error, and a data error no row's conversion
// reproduces, as it was.
uint64_t run_over_json_rows(pg::SpiSession& spi, const pg::RelationInfo& target, const JsonRows& in,
                            const std::string& sql);

// A quoted name for an input-position column that no column of `target` has: "ord", else "ord_2",
// "ord_3", ...
std::string free_ord_name(const pg::RelationInfo& target);

// From `rows`, a jsonb array of objects keyed by column name (a key missing from an object is
// NULL). Errors name the row's ord in their DETAIL (core/row_error.hpp): not an array of objects
// (22023), an unknown column (42703), a generated or identity-always column (428C9), a value of the
// wrong type (its own SQLSTATE, e.g. 22P02, with the column named too). `argument` names the SQL
// argument ("rows", "keys") in messages.
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
// `staged`: false for a function that runs without a stage (bulk_insert), which needs no TEMP.
void check_target(pg::SpiSession& spi, const pg::RelationInfo& target, const char* function,
                  bool staged = true);

}  // namespace pgfast::bulk
