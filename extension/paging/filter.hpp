// pgfast.page's `filter` argument: {"col": value} (equality, or IS NULL for null) and
// {"col": [v1, v2]} (IN), values converted to the column's type by PostgreSQL's own input
// functions (passed as text parameters and cast to the column's type).
#pragma once

#include <string>

#include "paging/unique_order.hpp"
#include "pg/relation_info.hpp"
#include "pg/spi.hpp"

namespace pgfast::paging {

struct Filter {
  std::string condition;  // SQL text for WHERE (empty: no filter); parameters added to args
  std::string canonical;  // jsonb's canonical text of the filter (empty: no filter)
};

// `filter` is a jsonb Datum or NULL (`is_null`). Errors (22023, 42703) name the key.
Filter build_filter(pg::SpiSession& spi, const pg::RelationInfo& relation, Datum filter,
                    bool is_null, pg::SpiArgs& args, const std::string& alias);

}  // namespace pgfast::paging
