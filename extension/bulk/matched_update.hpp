// The update half of pgfast.bulk_upsert and pgfast.bulk_update: which staged rows exist in the
// target (one read, one snapshot, into a temporary table of (ord, differs)), and the update of
// those that differ, with row locks taken in key order.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bulk/stage.hpp"
#include "core/bulk_sql.hpp"
#include "pg/relation_info.hpp"
#include "pg/spi.hpp"

namespace pgfast::bulk {

struct MatchedUpdate {
  std::string matched_table;  // the staged rows found in the target: (ord, differs); drop it
  int64_t matched = 0;
  int64_t updated = 0;
  std::vector<int64_t> updated_ords;  // with_ords only
};

// `rows`: the staged rows to apply (after duplicates). Sets `set_columns` of the matched rows
// that differ in them (all matched rows without `only_changed`); none when `set_columns` is empty.
MatchedUpdate update_matched_rows(pg::SpiSession& spi, const pg::RelationInfo& target,
                                  const bulk_sql::Tables& t, const std::vector<std::string>& keys,
                                  const std::vector<std::string>& set_columns, bool only_changed,
                                  int64_t rows, bool with_ords);

}  // namespace pgfast::bulk
