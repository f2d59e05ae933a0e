// Strict parser of pgfast.page's order_by argument: "created_at DESC, id", "\"Mixed Case\" ASC
// NULLS FIRST". Column names (unquoted: folded to lower case like PostgreSQL; double-quoted: kept,
// "" is a quote), ASC/DESC, NULLS FIRST/LAST, separated by commas. Anything else — expressions,
// functions, COLLATE, USING, trailing commas, duplicate columns — is an error (SQLSTATE 42601 for
// syntax, 22023 for a duplicate), never SQL text passed through.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace pgfast {

// Bounds checked before and while parsing (SQLSTATE 54000 beyond): the text's length in bytes and
// the number of columns (PostgreSQL's INDEX_MAX_KEYS: no index could serve a longer order).
inline constexpr size_t kMaxOrderByBytes = 8192;
inline constexpr size_t kMaxOrderByColumns = 32;

struct OrderKey {
  std::string column;  // the column's name as stored in the catalog
  bool descending = false;
  bool nulls_first = false;  // PostgreSQL's default: NULLS FIRST for DESC, NULLS LAST for ASC

  bool operator==(const OrderKey& other) const {
    return column == other.column && descending == other.descending &&
           nulls_first == other.nulls_first;
  }
};

// Throws pgfast::Error. An empty or all-blank string is an error too (callers treat NULL as
// "primary key order" before calling this).
std::vector<OrderKey> parse_order_by(std::string_view text);

// The canonical text of a parsed order: every column double-quoted, direction and NULLS placement
// always spelled out ("\"created_at\" DESC NULLS FIRST, \"id\" ASC NULLS LAST"). Used in SQL and in
// cursor fingerprints, so equivalent spellings give the same fingerprint.
std::string canonical_order_by(const std::vector<OrderKey>& keys);

// The same order walked backwards: every direction and NULLS placement flipped.
std::vector<OrderKey> reversed(const std::vector<OrderKey>& keys);

}  // namespace pgfast
