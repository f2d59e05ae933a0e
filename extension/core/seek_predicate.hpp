// The keyset ("seek") predicate of pgfast.page: which rows come strictly after a cursor position
// in a given order, written so that an index on the order's columns is used.
#pragma once

#include <string>
#include <vector>

#include "core/order_by.hpp"

namespace pgfast {

struct SeekColumn {
  OrderKey key;
  bool not_null = false;       // the column is declared NOT NULL (NULL branches can be dropped)
  bool value_is_null = false;  // the cursor's value for this column is NULL
  int param = 0;               // $param holds the cursor's value (unused when value_is_null)
  std::string param_cast;      // optional cast appended to the parameter, e.g. "::timestamptz"
};

// SQL text (no leading WHERE) true for rows strictly after the cursor position in the order
// `columns` describe (the whole list, the tie-breaker included, must be unique).
//  * All directions equal, all columns NOT NULL, no NULL value: one row-value comparison
//    ("(a, b) > ($1, $2)"), which btree indexes use directly.
//  * Otherwise: a leading range condition on the first column where one exists ("a >= $1", or
//    "a IS NULL" / "a IS NOT NULL" forms for NULL positions) AND-ed with the exact expansion
//    gt1 OR (eq1 AND (gt2 OR (eq2 AND ...))), NULLs ordered as each column's NULLS FIRST/LAST says.
// Column names are quoted; `alias` (if not empty) qualifies them ("s"."a").
std::string seek_predicate(const std::vector<SeekColumn>& columns, const std::string& alias);

}  // namespace pgfast
