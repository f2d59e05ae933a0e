// pgfast.bulk_upsert_from without a stage: when the source's columns already have the target's
// types (and collations), the source is read where it is, in one statement that updates, checks
// keys and inserts (bulk_sql::upsert_in_place). Anything that statement cannot settle by itself —
// a repeated or NULL key, a data error, a key another transaction inserted meanwhile — rolls it
// back, and the caller runs the staged path, which resolves duplicates per on_duplicate and names
// the row.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "bulk/options.hpp"
#include "pg/relation_info.hpp"
#include "pg/spi.hpp"

namespace pgfast::bulk {

struct InPlaceCounts {
  int64_t inserted = 0;
  int64_t updated = 0;
  int64_t unchanged = 0;
};

// The counts, or nullopt when the call must take the staged path (nothing was changed then): the
// source is not a temporary table whose every column the target has with the same type, typmod
// and collation (writable); the target has user triggers (they would fire twice when the attempt
// is rolled back); a source under 256 kB or without rows; a key column that may be NULL or a unique
// index on the keys that is deferrable; rows that match when no column is set; a repeated key among
// rows that are all unchanged; or the statement failed with a data error (class 22 or 23:
// a repeated or NULL key, a bad value, a concurrent insert of a key). Any other error is raised.
// Errors in the arguments (conflict_columns, update_columns) are raised as the staged path would.
std::optional<InPlaceCounts> upsert_in_place(
    pg::SpiSession& spi, const pg::RelationInfo& target, Oid source,
    const std::optional<std::vector<std::string>>& conflict_columns,
    const std::optional<std::vector<std::string>>& update_columns, const Options& options);

}  // namespace pgfast::bulk
