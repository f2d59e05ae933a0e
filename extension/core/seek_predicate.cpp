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
// The expansion gt_1 OR (eq_1 AND (gt_2 OR (eq_2 AND ... gt_n))) is simplified: a FALSE gt_i
// leaves eq_i AND (...), a FALSE tail leaves gt_i alone, and an all-FALSE predicate is "FALSE".
//
// The leading range condition (expanded form, two or more columns) comes from column 1 and is
// only emitted where it adds something: "q1 >= p" ("<=" for DESC), or "(q1 >= p OR q1 IS NULL)"
// for a nullable column with NULLS LAST. When column 1's value is NULL it is omitted: with NULLS
// LAST the expansion already starts with the conjunct "q1 IS NULL AND ...", and with NULLS FIRST
// every row qualifies. It is also omitted when the expansion reduced to gt_1 alone (which
// implies it). Every compound piece is parenthesised, so the result can be AND-ed as it is.
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
  std::string range;  // leading range condition (only used for column 1); empty: none
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
  std::string range = q + (c.key.descending ? " <= " : " >= ") + p;
  if (nulls_after && !c.not_null) {
    t.gt = "(" + cmp + " OR " + q + " IS NULL)";
    t.range = "(" + range + " OR " + q + " IS NULL)";
  } else {
    t.gt = cmp;
    t.range = range;
  }
  t.eq = q + " = " + p;
  return t;
}

}  // namespace

std::string seek_predicate(const std::vector<SeekColumn>& columns, const std::string& alias) {
  if (columns.empty()) throw Error(sqlstate::kInternalError, "seek_predicate: no columns");

  const std::string prefix = alias.empty() ? std::string() : quote_identifier(alias) + ".";
  std::vector<std::string> names;
  names.reserve(columns.size());
  for (const SeekColumn& c : columns) names.push_back(prefix + quote_identifier(c.key.column));

  // Fast form: one row-value comparison.
  bool uniform = true;
  for (const SeekColumn& c : columns) {
    uniform = uniform && c.not_null && !c.value_is_null &&
              c.key.descending == columns.front().key.descending;
  }
  if (uniform) {
    const char* op = columns.front().key.descending ? " < " : " > ";
    if (columns.size() == 1) return names[0] + op + parameter(columns[0]);
    std::string lhs = "(";
    std::string rhs = "(";
    for (size_t i = 0; i < columns.size(); ++i) {
      if (i > 0) {
        lhs += ", ";
        rhs += ", ";
      }
      lhs += names[i];
      rhs += parameter(columns[i]);
    }
    return lhs + ")" + op + rhs + ")";
  }

  // Expanded form, built from the last column back to the first.
  std::vector<ColumnTerms> terms;
  terms.reserve(columns.size());
  for (size_t i = 0; i < columns.size(); ++i) terms.push_back(terms_for(columns[i], names[i]));

  std::string expansion = terms.back().gt;  // empty: FALSE
  bool full_first_level = false;            // expansion is (gt_1 OR (eq_1 AND ...))
  for (size_t i = columns.size() - 1; i-- > 0;) {
    const ColumnTerms& t = terms[i];
    full_first_level = false;
    if (expansion.empty()) {
      expansion = t.gt;
    } else if (t.gt.empty()) {
      expansion = "(" + t.eq + " AND " + expansion + ")";
    } else {
      expansion = "(" + t.gt + " OR (" + t.eq + " AND " + expansion + "))";
      full_first_level = true;
    }
  }
  if (expansion.empty()) return kFalse;
  if (full_first_level && !terms.front().range.empty()) {
    return "(" + terms.front().range + " AND " + expansion + ")";
  }
  return expansion;
}

}  // namespace pgfast
