// The update half of pgfast.bulk_upsert and pgfast.bulk_update: which staged rows exist in the
// target (one read, one snapshot, into a temporary table of (ord, differs)), and the update of
// those that differ, with row locks taken in key order.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bulk/stage.hpp"
#include "core/bulk_sql.hpp"
#include "pg/local_settings.hpp"
#include "pg/relation_info.hpp"
#include "pg/spi.hpp"

namespace pgfast::bulk {

// From this many rows on, a call picks its joins itself (order_joins_by_key); smaller calls leave
// them to the planner and take their row locks in a locking pass first (which writes every locked
// row twice).
inline constexpr int64_t kLargeCallRows = 10000;

struct MatchedUpdate {
  std::string matched_table;  // the staged rows found in the target: (ord, differs); drop it
  int64_t matched = 0;
  int64_t updated = 0;
  std::vector<int64_t> updated_ords;  // with_ords only
};

// `rows`: the staged rows to apply (after duplicates). Sets `set_columns` of the matched rows
// that differ in them (all matched rows without `only_changed`); none when `set_columns` is empty.
// For a statement that joins `rows` rows of a call with the target and must visit them in key
// order: sets in `settings` the join methods update_matched_rows uses for a large call (a merge
// join when the call covers half the target or more, else index probes in the order of a sorted
// outer side; never a hash join).
void order_joins_by_key(pg::SpiSession& spi, const pg::RelationInfo& target, int64_t rows,
                        pg::LocalSettings& settings);

// For a read of a large call's rows joined with the target (no locks): index probes when the call
// is small next to its target, where the planner tends to hash the whole target; else the
// planner's choice.
void avoid_hashing_large_targets(pg::SpiSession& spi, const pg::RelationInfo& target, int64_t rows,
                                 pg::LocalSettings& settings);

MatchedUpdate update_matched_rows(pg::SpiSession& spi, const pg::RelationInfo& target,
                                  const bulk_sql::Tables& t, const std::vector<std::string>& keys,
                                  const std::vector<std::string>& set_columns, bool only_changed,
                                  int64_t rows, bool with_ords);

}  // namespace pgfast::bulk
