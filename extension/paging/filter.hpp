// pgfast.page's `filter` argument: {"col": value} (equality, or IS NULL for null) and
// {"col": [v1, v2]} (IN), values converted to the column's type by PostgreSQL's own input
// functions.
//
// Linear in the filter's size: the jsonb is walked directly (pg/jsonb_walk.hpp, no query), and
// each array becomes ONE parameter of the column's array type (`col = ANY($n)`), cast as
// `text[]::type[]` would be, a constant at plan time that PostgreSQL matches with a hash table.
#pragma once

#include <string>

#include "paging/unique_order.hpp"
#include "pg/relation_info.hpp"
#include "pg/spi.hpp"

namespace pgfast::paging {

// At most this many keys (columns) in one filter: 54000 beyond.
inline constexpr long kMaxFilterKeys = 100;

struct Filter {
  std::string condition;  // SQL text for WHERE (empty: no filter); parameters added to args
  std::string canonical;  // jsonb's canonical text of the filter (empty: no filter)
};

// `filter` is a jsonb Datum or NULL (`is_null`). Errors (22023, 42703, 54000) name the key or the
// limit: at most kMaxFilterKeys keys and pgfast.filter_values_max array elements in all.
Filter build_filter(const pg::RelationInfo& relation, Datum filter, bool is_null, pg::SpiArgs& args,
                    const std::string& alias);

}  // namespace pgfast::paging
