// Keyset predicate (extension/core): exact SQL for each shape, and its meaning checked against an
// in-memory model of ORDER BY with NULLs, by evaluating the generated SQL text itself with SQL's
// three-valued logic.
#include "core/seek_predicate.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace {

using pgfast::seek_predicate;
using pgfast::seek_ranges;
using pgfast::SeekColumn;

SeekColumn col(std::string name, bool descending, bool nulls_first, bool not_null, int param,
               bool value_is_null = false, std::string cast = {}) {
  SeekColumn c;
  c.key.column = std::move(name);
  c.key.descending = descending;
  c.key.nulls_first = nulls_first;
  c.not_null = not_null;
  c.param = param;
  c.value_is_null = value_is_null;
  c.param_cast = std::move(cast);
  return c;
}

// Shorthands: NOT NULL column, nullable column, nullable column whose cursor value is NULL.
SeekColumn nn(std::string name, bool desc, int param, std::string cast = {}) {
  return col(std::move(name), desc, desc, true, param, false, std::move(cast));
}
SeekColumn nullable(std::string name, bool desc, bool nulls_first, int param) {
  return col(std::move(name), desc, nulls_first, false, param);
}
SeekColumn null_value(std::string name, bool desc, bool nulls_first) {
  return col(std::move(name), desc, nulls_first, false, 0, true);
}

constexpr bool kAsc = false;
constexpr bool kDesc = true;
constexpr bool kNullsFirst = true;
constexpr bool kNullsLast = false;

// ---------------------------------------------------------------------------------------------
// Exact SQL text.

TEST(SeekPredicate, FastRowFormAsc) {
  EXPECT_EQ(seek_predicate({nn("a", kAsc, 1), nn("b", kAsc, 2)}, ""), "(\"a\", \"b\") > ($1, $2)");
}

TEST(SeekPredicate, FastRowFormDescWithCasts) {
  EXPECT_EQ(seek_predicate(
                {nn("created_at", kDesc, 3, "::timestamptz"), nn("id", kDesc, 4, "::int8")}, ""),
            "(\"created_at\", \"id\") < ($3::timestamptz, $4::int8)");
}

TEST(SeekPredicate, FastFormIgnoresNullsPlacement) {
  EXPECT_EQ(
      seek_predicate({col("a", kAsc, kNullsFirst, true, 1), col("b", kAsc, kNullsLast, true, 2),
                      col("c", kAsc, kNullsFirst, true, 3)},
                     ""),
      "(\"a\", \"b\", \"c\") > ($1, $2, $3)");
}

TEST(SeekPredicate, SingleColumn) {
  EXPECT_EQ(seek_predicate({nn("id", kAsc, 1)}, ""), "\"id\" > $1");
  EXPECT_EQ(seek_predicate({nn("id", kDesc, 1, "::bigint")}, ""), "\"id\" < $1::bigint");
  EXPECT_EQ(seek_predicate({nullable("a", kAsc, kNullsLast, 1)}, ""),
            "(\"a\" > $1 OR \"a\" IS NULL)");
  EXPECT_EQ(seek_predicate({nullable("a", kAsc, kNullsFirst, 1)}, ""), "\"a\" > $1");
  EXPECT_EQ(seek_predicate({nullable("a", kDesc, kNullsFirst, 1)}, ""), "\"a\" < $1");
  EXPECT_EQ(seek_predicate({nullable("a", kDesc, kNullsLast, 1)}, ""),
            "(\"a\" < $1 OR \"a\" IS NULL)");
  EXPECT_EQ(seek_predicate({null_value("a", kAsc, kNullsLast)}, ""), "FALSE");
  EXPECT_EQ(seek_predicate({null_value("a", kDesc, kNullsLast)}, ""), "FALSE");
  EXPECT_EQ(seek_predicate({null_value("a", kAsc, kNullsFirst)}, ""), "\"a\" IS NOT NULL");
  EXPECT_EQ(seek_predicate({null_value("a", kDesc, kNullsFirst)}, ""), "\"a\" IS NOT NULL");
}

TEST(SeekPredicate, MixedDirections) {
  EXPECT_EQ(seek_predicate({nn("a", kDesc, 1), nn("b", kAsc, 2)}, ""),
            "(\"a\" <= $1 AND (\"a\" <> $1 OR \"b\" > $2))");
  EXPECT_EQ(seek_predicate({nn("a", kAsc, 1), nn("b", kDesc, 2), nn("c", kAsc, 3)}, ""),
            "(\"a\" >= $1 AND (\"a\" <> $1 OR (\"b\" < $2 OR (\"b\" = $2 AND \"c\" > $3))))");
}

TEST(SeekPredicate, NullableFirstColumnSplitsIntoRanges) {
  // NULLS LAST in the walk: the non-NULL range, then the NULL range; never "OR a IS NULL" inside.
  EXPECT_EQ(seek_ranges({nullable("a", kAsc, kNullsLast, 1), nn("id", kAsc, 2)}, ""),
            (std::vector<std::string>{"(\"a\" >= $1 AND (\"a\" <> $1 OR \"id\" > $2))",
                                      "\"a\" IS NULL"}));
  EXPECT_EQ(seek_ranges({nullable("a", kDesc, kNullsLast, 1), nn("id", kDesc, 2)}, ""),
            (std::vector<std::string>{"(\"a\" <= $1 AND (\"a\" <> $1 OR \"id\" < $2))",
                                      "\"a\" IS NULL"}));
  // NULLS FIRST: the NULLs are behind, one range.
  EXPECT_EQ(seek_ranges({nullable("a", kAsc, kNullsFirst, 1), nn("id", kAsc, 2)}, ""),
            (std::vector<std::string>{"(\"a\" >= $1 AND (\"a\" <> $1 OR \"id\" > $2))"}));
  EXPECT_EQ(seek_ranges({nullable("a", kDesc, kNullsFirst, 1), nn("id", kAsc, 2)}, ""),
            (std::vector<std::string>{"(\"a\" <= $1 AND (\"a\" <> $1 OR \"id\" > $2))"}));
  // One predicate: the ranges OR-ed.
  EXPECT_EQ(seek_predicate({nullable("a", kAsc, kNullsLast, 1), nn("id", kAsc, 2)}, ""),
            "((\"a\" >= $1 AND (\"a\" <> $1 OR \"id\" > $2)) OR \"a\" IS NULL)");
}

TEST(SeekPredicate, NullCursorValue) {
  // NULLS LAST: only the NULL group can follow.
  EXPECT_EQ(seek_predicate({null_value("a", kAsc, kNullsLast), nn("id", kAsc, 2)}, ""),
            "(\"a\" IS NULL AND \"id\" > $2)");
  EXPECT_EQ(seek_predicate({null_value("a", kDesc, kNullsLast), nn("id", kAsc, 2)}, ""),
            "(\"a\" IS NULL AND \"id\" > $2)");
  // NULLS FIRST: the rest of the NULL group, then every non-NULL, as two ranges.
  EXPECT_EQ(seek_ranges({null_value("a", kAsc, kNullsFirst), nn("id", kAsc, 2)}, ""),
            (std::vector<std::string>{"(\"a\" IS NULL AND \"id\" > $2)", "\"a\" IS NOT NULL"}));
  EXPECT_EQ(seek_predicate({null_value("a", kDesc, kNullsFirst), nn("id", kDesc, 2)}, ""),
            "((\"a\" IS NULL AND \"id\" < $2) OR \"a\" IS NOT NULL)");
  // The rest is a row comparison where its columns agree.
  EXPECT_EQ(seek_predicate(
                {null_value("a", kAsc, kNullsLast), nn("b", kDesc, 2), nn("id", kDesc, 3)}, ""),
            "(\"a\" IS NULL AND (\"b\", \"id\") < ($2, $3))");
}

TEST(SeekPredicate, FalseTermsAreSimplified) {
  // A FALSE tail leaves gt_1 alone.
  EXPECT_EQ(seek_predicate({nn("a", kAsc, 1), null_value("b", kAsc, kNullsLast)}, ""),
            "\"a\" > $1");
  // A FALSE gt in the middle disappears.
  EXPECT_EQ(
      seek_predicate({nn("a", kAsc, 1), null_value("b", kAsc, kNullsLast), nn("c", kDesc, 3)}, ""),
      "(\"a\" >= $1 AND (\"a\" <> $1 OR (\"b\" IS NULL AND \"c\" < $3)))");
  // Everything FALSE.
  EXPECT_EQ(
      seek_predicate({null_value("a", kAsc, kNullsLast), null_value("b", kDesc, kNullsLast)}, ""),
      "FALSE");
  EXPECT_TRUE(
      seek_ranges({null_value("a", kAsc, kNullsLast), null_value("b", kDesc, kNullsLast)}, "")
          .empty());
  // NULL in a NULLS FIRST column: the gt term is IS NOT NULL.
  EXPECT_EQ(
      seek_predicate({nn("a", kAsc, 1), null_value("b", kAsc, kNullsFirst), nn("c", kAsc, 3)}, ""),
      "(\"a\" >= $1 AND (\"a\" <> $1 OR (\"b\" IS NOT NULL OR (\"b\" IS NULL AND \"c\" > $3))))");
}

TEST(SeekPredicate, Alias) {
  EXPECT_EQ(seek_predicate({nn("a", kAsc, 1), nn("id", kAsc, 2)}, "s"),
            "(\"s\".\"a\", \"s\".\"id\") > ($1, $2)");
  EXPECT_EQ(seek_predicate({nullable("a", kAsc, kNullsLast, 1), nn("id", kDesc, 2)}, "My\"Alias"),
            "((\"My\"\"Alias\".\"a\" >= $1 AND (\"My\"\"Alias\".\"a\" <> $1 OR "
            "\"My\"\"Alias\".\"id\" < $2)) OR \"My\"\"Alias\".\"a\" IS NULL)");
  EXPECT_EQ(seek_predicate({null_value("a", kAsc, kNullsFirst)}, "t"), "\"t\".\"a\" IS NOT NULL");
}

TEST(SeekPredicate, QuotesColumnNames) {
  EXPECT_EQ(seek_predicate({nn("Weird \"Name\"", kAsc, 1)}, ""), "\"Weird \"\"Name\"\"\" > $1");
}

TEST(SeekPredicate, Errors) {
  EXPECT_THROW(seek_predicate({}, ""), pgfast::Error);
  EXPECT_THROW(seek_predicate({nn("a", kAsc, 0)}, ""), pgfast::Error);
  EXPECT_THROW(seek_predicate({nn("", kAsc, 1)}, ""), pgfast::Error);
  // A NULL value needs no parameter.
  EXPECT_NO_THROW(seek_predicate({null_value("a", kAsc, kNullsFirst)}, ""));
}

// ---------------------------------------------------------------------------------------------
// Semantics: a tiny evaluator for the SQL this module writes (quoted, optionally qualified
// columns; $n parameters with an optional ::cast; = <> < > <= >=; IS [NOT] NULL; row comparisons;
// AND, OR, FALSE, parentheses) over integer rows, with SQL's three-valued logic.

using Value = std::optional<int>;
enum class Tri { kFalse, kTrue, kUnknown };

Tri tri_and(Tri a, Tri b) {
  if (a == Tri::kFalse || b == Tri::kFalse) return Tri::kFalse;
  if (a == Tri::kTrue && b == Tri::kTrue) return Tri::kTrue;
  return Tri::kUnknown;
}
Tri tri_or(Tri a, Tri b) {
  if (a == Tri::kTrue || b == Tri::kTrue) return Tri::kTrue;
  if (a == Tri::kFalse && b == Tri::kFalse) return Tri::kFalse;
  return Tri::kUnknown;
}

// The SQL is parsed once into a tree, then evaluated for many rows.
class SqlCondition {
 public:
  // `columns` maps column names (without alias) to their index in the rows given to evaluate().
  SqlCondition(std::string sql, const std::map<std::string, size_t>& columns,
               const std::map<int, Value>& params)
      : sql_(std::move(sql)), columns_(columns), params_(params) {
    root_ = expr();
    skip_space();
    if (i_ != sql_.size()) fail("trailing text");
  }

  Tri evaluate(const std::vector<Value>& row) const { return eval(*root_, row); }

 private:
  struct Operand {
    bool is_column = false;
    size_t column = 0;
    Value param;
  };
  struct Node {
    enum class Kind { kFalse, kAnd, kOr, kIsNull, kIsNotNull, kCompare } kind = Kind::kFalse;
    std::vector<std::unique_ptr<Node>> children;
    std::vector<Operand> lhs, rhs;
    std::string op;
  };
  using NodePtr = std::unique_ptr<Node>;

  static Value value_of(const Operand& o, const std::vector<Value>& row) {
    return o.is_column ? row.at(o.column) : o.param;
  }

  static Tri eval(const Node& n, const std::vector<Value>& row) {
    switch (n.kind) {
      case Node::Kind::kFalse:
        return Tri::kFalse;
      case Node::Kind::kAnd:
        return tri_and(eval(*n.children[0], row), eval(*n.children[1], row));
      case Node::Kind::kOr:
        return tri_or(eval(*n.children[0], row), eval(*n.children[1], row));
      case Node::Kind::kIsNull:
      case Node::Kind::kIsNotNull: {
        bool is_null = !value_of(n.lhs[0], row).has_value();
        return (is_null == (n.kind == Node::Kind::kIsNull)) ? Tri::kTrue : Tri::kFalse;
      }
      case Node::Kind::kCompare:
        break;
    }
    // PostgreSQL's row comparison: the first pair that is not equal decides; a NULL there (or
    // before it) makes the result unknown.
    for (size_t k = 0; k < n.lhs.size(); ++k) {
      Value l = value_of(n.lhs[k], row);
      Value r = value_of(n.rhs[k], row);
      if (!l || !r) return Tri::kUnknown;
      if (*l == *r) continue;
      if (n.op == "=") return Tri::kFalse;
      if (n.op == "<>") return Tri::kTrue;
      bool less = *l < *r;
      bool holds = (n.op == "<" || n.op == "<=") ? less : !less;
      return holds ? Tri::kTrue : Tri::kFalse;
    }
    return (n.op == "=" || n.op == "<=" || n.op == ">=") ? Tri::kTrue : Tri::kFalse;
  }

  [[noreturn]] void fail(const std::string& what) {
    throw std::runtime_error(what + " at offset " + std::to_string(i_) + " in: " + sql_);
  }
  void skip_space() {
    while (i_ < sql_.size() && sql_[i_] == ' ') ++i_;
  }
  bool accept(const std::string& token) {
    skip_space();
    if (sql_.compare(i_, token.size(), token) != 0) return false;
    // Keywords must end at a word boundary.
    size_t end = i_ + token.size();
    if (std::isalpha(static_cast<unsigned char>(token.back())) && end < sql_.size() &&
        std::isalpha(static_cast<unsigned char>(sql_[end]))) {
      return false;
    }
    i_ = end;
    return true;
  }
  void expect(const std::string& token) {
    if (!accept(token)) fail("expected " + token);
  }

  static NodePtr binary(Node::Kind kind, NodePtr a, NodePtr b) {
    auto n = std::make_unique<Node>();
    n->kind = kind;
    n->children.push_back(std::move(a));
    n->children.push_back(std::move(b));
    return n;
  }

  NodePtr expr() {
    NodePtr n = conjunction();
    while (accept("OR")) n = binary(Node::Kind::kOr, std::move(n), conjunction());
    return n;
  }
  NodePtr conjunction() {
    NodePtr n = primary();
    while (accept("AND")) n = binary(Node::Kind::kAnd, std::move(n), primary());
    return n;
  }
  NodePtr primary() {
    if (accept("FALSE")) return std::make_unique<Node>();
    skip_space();
    if (i_ < sql_.size() && sql_[i_] == '(' && !starts_row()) {
      ++i_;
      NodePtr n = expr();
      expect(")");
      return n;
    }
    return predicate();
  }
  // "(" followed by an operand and "," is a row constructor, not a parenthesised condition.
  bool starts_row() {
    size_t save = i_;
    bool row = false;
    ++i_;
    skip_space();
    if (i_ < sql_.size() && (sql_[i_] == '"' || sql_[i_] == '$')) {
      scalar();
      skip_space();
      row = i_ < sql_.size() && sql_[i_] == ',';
    }
    i_ = save;
    return row;
  }

  std::vector<Operand> operand() {
    skip_space();
    if (i_ < sql_.size() && sql_[i_] == '(') {
      ++i_;
      std::vector<Operand> values{scalar()};
      while (accept(",")) values.push_back(scalar());
      expect(")");
      return values;
    }
    return {scalar()};
  }
  Operand scalar() {
    skip_space();
    Operand o;
    if (i_ < sql_.size() && sql_[i_] == '$') {
      ++i_;
      size_t start = i_;
      while (i_ < sql_.size() && std::isdigit(static_cast<unsigned char>(sql_[i_]))) ++i_;
      if (start == i_) fail("parameter number");
      int n = std::stoi(sql_.substr(start, i_ - start));
      if (sql_.compare(i_, 2, "::") == 0) {  // a cast: skip the type name
        i_ += 2;
        while (i_ < sql_.size() && (std::isalnum(static_cast<unsigned char>(sql_[i_])))) ++i_;
      }
      auto it = params_.find(n);
      if (it == params_.end()) fail("unbound parameter $" + std::to_string(n));
      o.param = it->second;
      return o;
    }
    std::string name = identifier();
    if (i_ < sql_.size() && sql_[i_] == '.') {  // alias.column
      ++i_;
      name = identifier();
    }
    auto it = columns_.find(name);
    if (it == columns_.end()) fail("unknown column " + name);
    o.is_column = true;
    o.column = it->second;
    return o;
  }
  std::string identifier() {
    if (i_ >= sql_.size() || sql_[i_] != '"') fail("expected an identifier");
    std::string name;
    for (++i_;; ++i_) {
      if (i_ >= sql_.size()) fail("unterminated identifier");
      if (sql_[i_] == '"') {
        if (i_ + 1 < sql_.size() && sql_[i_ + 1] == '"') {
          name.push_back('"');
          ++i_;
          continue;
        }
        ++i_;
        return name;
      }
      name.push_back(sql_[i_]);
    }
  }

  NodePtr predicate() {
    auto n = std::make_unique<Node>();
    n->lhs = operand();
    if (accept("IS")) {
      bool negated = accept("NOT");
      expect("NULL");
      if (n->lhs.size() != 1) fail("IS NULL on a row");
      n->kind = negated ? Node::Kind::kIsNotNull : Node::Kind::kIsNull;
      return n;
    }
    for (const char* candidate : {">=", "<=", "<>", ">", "<", "="}) {
      if (accept(candidate)) {
        n->op = candidate;
        break;
      }
    }
    if (n->op.empty()) fail("expected an operator");
    n->rhs = operand();
    if (n->lhs.size() != n->rhs.size()) fail("row sizes differ");
    n->kind = Node::Kind::kCompare;
    return n;
  }

  std::string sql_;
  size_t i_ = 0;
  const std::map<std::string, size_t>& columns_;
  const std::map<int, Value>& params_;
  NodePtr root_;
};

// The model: <0, 0, >0 as `a` sorts before, with or after `b` in ORDER BY `keys`.
int compare_rows(const std::vector<Value>& a, const std::vector<Value>& b,
                 const std::vector<SeekColumn>& columns) {
  for (size_t k = 0; k < columns.size(); ++k) {
    const Value& x = a[k];
    const Value& y = b[k];
    if (!x && !y) continue;
    if (!x || !y) {
      // In the walk order NULL comes first or last, whatever the direction.
      bool x_first = !x ? columns[k].key.nulls_first : !columns[k].key.nulls_first;
      return x_first ? -1 : 1;
    }
    if (*x == *y) continue;
    int c = *x < *y ? -1 : 1;
    return columns[k].key.descending ? -c : c;
  }
  return 0;
}

// Every combination of directions, NULLS placement and NOT NULL for 1..3 columns; every cursor row
// and every candidate row over the domain {NULL, 0, 1, 2} ({0, 1, 2} for NOT NULL columns).
TEST(SeekPredicateSemantics, SelectsExactlyTheRowsAfterTheCursor) {
  const std::vector<Value> nullable_domain{std::nullopt, 0, 1, 2};
  const std::vector<Value> not_null_domain{0, 1, 2};
  size_t checked_rows = 0;
  size_t fast_forms = 0;
  for (size_t n = 1; n <= 3; ++n) {
    for (unsigned config = 0; config < (1u << (3 * n)); ++config) {
      std::vector<SeekColumn> columns;
      std::map<std::string, size_t> names;
      for (size_t k = 0; k < n; ++k) {
        names["c" + std::to_string(k)] = k;
        unsigned bits = config >> (3 * k);
        columns.push_back(col("c" + std::to_string(k), bits & 1, (bits >> 1) & 1, (bits >> 2) & 1,
                              static_cast<int>(k + 1), false, k == 0 ? "::int4" : ""));
      }
      // All rows over the domains.
      std::vector<std::vector<Value>> rows{{}};
      for (size_t k = 0; k < n; ++k) {
        std::vector<std::vector<Value>> next;
        for (const auto& prefix : rows) {
          for (const Value& v : columns[k].not_null ? not_null_domain : nullable_domain) {
            next.push_back(prefix);
            next.back().push_back(v);
          }
        }
        rows = std::move(next);
      }
      const std::string alias = (config % 2) ? "t" : "";
      for (const auto& cursor : rows) {
        std::map<int, Value> params;
        for (size_t k = 0; k < n; ++k) {
          columns[k].value_is_null = !cursor[k].has_value();
          params[static_cast<int>(k + 1)] = cursor[k];
        }
        std::string sql = seek_predicate(columns, alias);
        if (sql.find(") > (") != std::string::npos || sql.find(") < (") != std::string::npos) {
          ++fast_forms;
        }
        SqlCondition condition(sql, names, params);
        for (const auto& candidate : rows) {
          bool after = compare_rows(candidate, cursor, columns) > 0;
          Tri got = condition.evaluate(candidate);
          // WHERE keeps only TRUE rows (UNKNOWN, e.g. NULL > $1, is dropped).
          ASSERT_EQ(got == Tri::kTrue, after)
              << sql << "\ncursor/candidate differ at config " << config;
          ++checked_rows;
        }
      }
    }
  }
  EXPECT_GT(fast_forms, 0u);
  EXPECT_GT(checked_rows, 1000000u);
}

// seek_ranges, for every configuration, cursor and row of the test above: the ranges are
// disjoint, their union is exactly the rows after the cursor, every row of range i comes before
// every row of range i + 1 in the walk (so reading them in turn, each ORDER BY walk, is the walk),
// and no range ORs an IS NULL onto column 1 (which would leave the index without a bound).
TEST(SeekPredicateSemantics, RangesAreConsecutiveAndIndexBounded) {
  const std::vector<Value> nullable_domain{std::nullopt, 0, 1, 2};
  const std::vector<Value> not_null_domain{0, 1, 2};
  size_t two_range_cases = 0;
  for (size_t n = 1; n <= 3; ++n) {
    for (unsigned config = 0; config < (1u << (3 * n)); ++config) {
      std::vector<SeekColumn> columns;
      std::map<std::string, size_t> names;
      for (size_t k = 0; k < n; ++k) {
        names["c" + std::to_string(k)] = k;
        unsigned bits = config >> (3 * k);
        columns.push_back(col("c" + std::to_string(k), bits & 1, (bits >> 1) & 1, (bits >> 2) & 1,
                              static_cast<int>(k + 1)));
      }
      std::vector<std::vector<Value>> rows{{}};
      for (size_t k = 0; k < n; ++k) {
        std::vector<std::vector<Value>> next;
        for (const auto& prefix : rows) {
          for (const Value& v : columns[k].not_null ? not_null_domain : nullable_domain) {
            next.push_back(prefix);
            next.back().push_back(v);
          }
        }
        rows = std::move(next);
      }
      for (const auto& cursor : rows) {
        std::map<int, Value> params;
        for (size_t k = 0; k < n; ++k) {
          columns[k].value_is_null = !cursor[k].has_value();
          params[static_cast<int>(k + 1)] = cursor[k];
        }
        std::vector<std::string> ranges = seek_ranges(columns, "");
        ASSERT_LE(ranges.size(), 2u);
        if (ranges.size() == 2) ++two_range_cases;
        std::vector<SqlCondition> conditions;
        for (const std::string& r : ranges) {
          EXPECT_EQ(r.find("OR \"c0\" IS NULL"), std::string::npos) << r;
          conditions.emplace_back(r, names, params);
        }
        // (range index, row) for every selected row.
        std::vector<std::pair<size_t, const std::vector<Value>*>> selected;
        for (const auto& candidate : rows) {
          bool after = compare_rows(candidate, cursor, columns) > 0;
          size_t hits = 0;
          for (size_t i = 0; i < conditions.size(); ++i) {
            if (conditions[i].evaluate(candidate) == Tri::kTrue) {
              ++hits;
              selected.emplace_back(i, &candidate);
            }
          }
          ASSERT_EQ(hits, after ? 1u : 0u) << "config " << config;
        }
        for (const auto& [i, row] : selected) {
          for (const auto& [j, other] : selected) {
            if (i < j) {
              ASSERT_LT(compare_rows(*row, *other, columns), 0) << "config " << config;
            }
          }
        }
      }
    }
  }
  EXPECT_GT(two_range_cases, 0u);
}

}  // namespace
