// Index definitions compared the way PostgreSQL sees them, not as text.
//
// A requested index (elements, INCLUDE list, predicate, method, uniqueness) is written as one
// CREATE INDEX statement with every identifier quoted; each user-supplied piece (an element such as
// `lower(email) DESC` or the predicate) is first parsed on its own by PostgreSQL's grammar, so it
// is exactly one index element or one expression and can never change the statement's shape. The
// statement is then parsed and transformed (transformIndexStmt: names resolved, expressions and
// predicate type-checked, functions looked up) and reduced to what pg_index stores: key attribute
// numbers, operator classes, collations, ordering options, expression and predicate trees,
// key-column count, uniqueness and access method. Two definitions are equivalent when these are
// equal, expression and predicate trees compared with equal() (token positions ignored) in the form
// CREATE INDEX stores them -- so an index created by hand under any name, in any spelling, is
// recognised. Nothing is evaluated: existing indexes' trees are read from pg_index as stored, not
// through the relcache, whose eval_const_expressions would run the index owner's immutable
// functions as the caller (CVE-2022-1552); pending jobs' and requested definitions are only
// parsed and transformed.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "pg/postgres.hpp"

namespace pgfast::indexes {

struct IndexRequest {
  Oid relation = InvalidOid;
  std::vector<std::string> elements;  // index elements as the caller wrote them
  std::vector<std::string> include;   // column names
  std::optional<std::string> where;   // predicate expression
  std::string method = "btree";
  bool unique = false;
  bool concurrently = false;
  std::string name_part;  // the middle of a default name (table_<name_part>_idx); "": from elements
};

// Parses each element and the predicate alone (errors: PostgreSQL's own, e.g. 42601), checks the
// INCLUDE names are columns (42703), and returns the CREATE INDEX statement: `name` quoted, or no
// name when empty.
std::string build_statement(const IndexRequest& request, const std::string& name);

// The name of a valid index on the relation equivalent to `statement` (built by
// build_statement), if any. Errors from transforming the statement are PostgreSQL's (42703 for an
// unknown column, 42883 for an unknown function, 42704 for an unknown method or operator class).
std::optional<std::string> find_equivalent_index(Oid relation, const std::string& statement);

// Whether two statements for the same relation define equivalent indexes.
bool equivalent_statements(Oid relation, const std::string& a, const std::string& b);

// The name PostgreSQL would choose for an index on `relation` over `elements` (table_col_idx,
// "key" for unique indexes), not taken by any relation of the schema nor listed in `taken`.
std::string choose_index_name(Oid relation, const IndexRequest& request,
                              const std::vector<std::string>& taken);

}  // namespace pgfast::indexes

namespace pgfast::indexes {

// The name of another valid index on the same table with the same definition and a lower OID
// (the older one), if any: what index_report calls "duplicate of".
std::optional<std::string> duplicate_of(Oid index);

}  // namespace pgfast::indexes
