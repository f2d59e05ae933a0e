// The staging table of a bulk call: the input rows, typed like the target's columns, with their
// 1-based input position in "ord". A temporary table, dropped at the end of the call (or with the
// transaction on error).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pg/relation_info.hpp"
#include "pg/spi.hpp"

namespace pgfast::bulk {

struct Stage {
  std::string name;                  // quoted, qualified (pg_temp)
  std::vector<std::string> columns;  // target columns present in the input, in table order
  int64_t rows = 0;
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

// A new name for a temporary table of this backend: pg_temp."<prefix><n>".
std::string temp_table_name(const char* prefix);

// Errors 42809 unless `target` is a table or partitioned table.
void require_table(const pg::RelationInfo& target);

}  // namespace pgfast::bulk
