// Keyset predicate (see seek_predicate.hpp).
//
// For column i with quoted name q, cursor parameter p ("$n" + cast) and comparison operator op
// (">" for ASC, "<" for DESC), "strictly after" (gt_i) and "equal" (eq_i) are:
//   NULLs after the values in the walk order (ASC NULLS LAST, DESC NULLS LAST):
//     value not NULL: gt = (q op p OR q IS NULL)   ("OR q IS NULL" dropped for a NOT NULL column)
//                     eq = q = p
//     value NULL:     gt = FALSE                   eq = q IS NULL
//   NULLs before the values (ASC NULLS FIRST, DESC NULLS FIRST):
//     value not NULL: gt = q op p                  eq = q = p
//     value NULL:     gt = q IS NOT NULL           eq = q IS NULL
// "After" over columns i..n is a row comparison when those columns agree (same direction, NOT
// NULL, values not NULL), else the expansion gt_i OR (eq_i AND (gt_i+1 OR (eq_i+1 AND ... gt_n))),
// simplified: a FALSE gt_i leaves eq_i AND (...), a FALSE tail leaves gt_i alone.
//
// The ranges (see the header) split on column 1 only: its bound is the index's leading range, so
// the rest only ever filters the ties of column 1's cursor value. Inside a range, "q <> p" and
// "q = p" are never unknown (the bound keeps q non-NULL); <rest> may be unknown only where it
// should be FALSE (a NULL compared in a NULLS FIRST column), and WHERE drops unknown rows.
//
// param_cast is copied into the SQL as it is: it must come from the server (e.g. "::" plus
// format_type of the column's type), never from user input.
#include "core/seek_predicate.hpp"

#include "core/error.hpp"
#include "core/sql_text.hpp"

namespace pgfast {
namespace {

constexpr char kFalse[] = "FALSE";

struct ColumnTerms {
  std::string gt;  // empty: FALSE
  std::string eq;
};

std::string parameter(const SeekColumn& c) {
  if (c.param < 1) {
    throw Error(sqlstate::kInternalError,
                "seek_predicate: column \"" + c.key.column + "\" has no parameter number");
  }
  return "$" + std::to_string(c.param) + c.param_cast;
}

ColumnTerms terms_for(const SeekColumn& c, const std::string& q) {
  ColumnTerms t;
  bool nulls_after = !c.key.nulls_first;
  if (c.value_is_null) {
    t.eq = q + " IS NULL";
    if (!nulls_after) t.gt = q + " IS NOT NULL";
    return t;
  }
  std::string p = parameter(c);
  std::string cmp = q + (c.key.descending ? " < " : " > ") + p;
  if (nulls_after && !c.not_null) {
    t.gt = "(" + cmp + " OR " + q + " IS NULL)";
  } else {
    t.gt = cmp;
  }
  t.eq = q + " = " + p;
  return t;
}

// Columns from..n can be compared as one row: same direction, NOT NULL, values not NULL.
bool row_comparable(const std::vector<SeekColumn>& columns, size_t from) {
  for (size_t i = from; i < columns.size(); ++i) {
    const SeekColumn& c = columns[i];
    if (!c.not_null || c.value_is_null || c.key.descending != columns[from].key.descending) {
      return false;
    }
  }
  return true;
}

// "After" over columns[from..] (empty: FALSE).
std::string after_from(const std::vector<SeekColumn>& columns,
                       const std::vector<std::string>& names, size_t from) {
  if (from >= columns.size()) return {};
  if (row_comparable(columns, from)) {
    const char* op = columns[from].key.descending ? " < " : " > ";
    if (from + 1 == columns.size()) return names[from] + op + parameter(columns[from]);
    std::string lhs = "(";
    std::string rhs = "(";
    for (size_t i = from; i < columns.size(); ++i) {
      if (i > from) {
        lhs += ", ";
        rhs += ", ";
      }
      lhs += names[i];
      rhs += parameter(columns[i]);
    }
    return lhs + ")" + op + rhs + ")";
  }
  // Expanded form, built from the last column back to `from`.
  std::string expansion = terms_for(columns.back(), names.back()).gt;  // empty: FALSE
  for (size_t i = columns.size() - 1; i-- > from;) {
    ColumnTerms t = terms_for(columns[i], names[i]);
    if (expansion.empty()) {
      expansion = t.gt;
    } else if (t.gt.empty()) {
      expansion = "(" + t.eq + " AND " + expansion + ")";
    } else {
      expansion = "(" + t.gt + " OR (" + t.eq + " AND " + expansion + "))";
    }
  }
  return expansion;
}

}  // namespace

std::vector<std::string> seek_ranges(const std::vector<SeekColumn>& columns,
                                     const std::string& alias) {
  if (columns.empty()) throw Error(sqlstate::kInternalError, "seek_predicate: no columns");

  const std::string prefix = alias.empty() ? std::string() : quote_identifier(alias) + ".";
  std::vector<std::string> names;
  names.reserve(columns.size());
  for (const SeekColumn& c : columns) names.push_back(prefix + quote_identifier(c.key.column));

  // One row-value comparison (or one NOT NULL column): already a single index range.
  if (row_comparable(columns, 0)) return {after_from(columns, names, 0)};
  const SeekColumn& first = columns.front();
  const std::string& q = names.front();
  std::string rest = after_from(columns, names, 1);
  bool nulls_after = !first.key.nulls_first;
  std::vector<std::string> ranges;
  if (first.value_is_null) {
    if (!rest.empty()) ranges.push_back("(" + q + " IS NULL AND " + rest + ")");
    if (!nulls_after) ranges.push_back(q + " IS NOT NULL");
    return ranges;
  }
  std::string p = parameter(first);
  if (rest.empty()) {
    ranges.push_back(q + (first.key.descending ? " < " : " > ") + p);
  } else {
    ranges.push_back("(" + q + (first.key.descending ? " <= " : " >= ") + p + " AND (" + q +
                     " <> " + p + " OR " + rest + "))");
  }
  if (nulls_after && !first.not_null) ranges.push_back(q + " IS NULL");
  return ranges;
}

std::string seek_predicate(const std::vector<SeekColumn>& columns, const std::string& alias) {
  std::vector<std::string> ranges = seek_ranges(columns, alias);
  if (ranges.empty()) return kFalse;
  if (ranges.size() == 1) return ranges.front();
  std::string sql = "(";
  for (size_t i = 0; i < ranges.size(); ++i) sql += (i > 0 ? " OR " : "") + ranges[i];
  return sql + ")";
}

}  // namespace pgfast
