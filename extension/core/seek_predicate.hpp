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

// The rows strictly after the cursor position in the order `columns` describe (the whole list,
// the tie-breaker included, must be unique), as at most two consecutive ranges of that order, each
// one SQL condition (no leading WHERE) that a btree index matching the order serves as an ordered
// range scan: an index bound (Index Cond) plus, where needed, an exact filter that only rejects the
// ties of the bound. Reading the ranges in turn, each `ORDER BY <columns> LIMIT n`, gives the rows
// after the cursor in order. Empty: no row can follow.
//  * All directions equal, all columns NOT NULL, no NULL value: one row-value comparison
//    ("(a, b) > ($1, $2)"), which btree indexes use directly and the planner estimates from "a".
//  * Otherwise, column 1 (q, cursor value p, walk operator op: ">" ASC, "<" DESC) decides:
//    - p not NULL: "q >= p" ("<=" for DESC) as the bound, AND-ed with "(q <> p OR <rest>)" where
//      <rest> is "after" over columns 2..n (a row comparison where those agree, else the exact
//      expansion with explicit NULL branches). Written "q <> p OR" rather than "q > p OR (q = p
//      AND" so the planner estimates the filter as nearly always true: the selectivity is that of
//      the bound, not its square (the Bitmap + Sort plans of issue #16). When NULLs come after the
//      values in this walk and q is nullable, a second range "q IS NULL" follows.
//    - p NULL: "q IS NULL AND <rest>" (nothing when <rest> is FALSE), then, when NULLs come first
//      in this walk, a second range "q IS NOT NULL".
//    An "OR q IS NULL" is never part of a range: it would make the bound unusable and the scan a
//    Filter over the whole index.
// Column names are quoted; `alias` (if not empty) qualifies them ("s"."a").
std::vector<std::string> seek_ranges(const std::vector<SeekColumn>& columns,
                                     const std::string& alias);

// The same rows as one condition: the ranges OR-ed ("FALSE" when there are none). For tests and
// callers that need one predicate; pgfast.page reads the ranges one by one.
std::string seek_predicate(const std::vector<SeekColumn>& columns, const std::string& alias);

}  // namespace pgfast
