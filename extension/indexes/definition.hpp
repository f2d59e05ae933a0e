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
// recognised.
//
// Nothing of another role is parsed or evaluated (DESIGN 3.1). Parse analysis runs code: a typed
// literal's input function, e.g. the CHECK of a domain in '{x}'::d[]. So only the caller's own
// request is parsed (as the caller, like its own CREATE INDEX); everything else is compared as a
// tree stored when it was made: existing indexes' trees as pg_index stores them (not through the
// relcache, whose eval_const_expressions would run the index owner's immutable functions as the
// caller, CVE-2022-1552), a queued job's tree as its requester's session stored it
// (definition_tree), a generated column's as pg_attrdef.adbin stores it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/index_sql.hpp"
#include "pg/postgres.hpp"

namespace pgfast::indexes {

// The definition (elements, INCLUDE, predicate, method, uniqueness; core/index_sql.hpp) on a
// relation.
struct IndexRequest : index_sql::IndexDefinition {
  Oid relation = InvalidOid;
  std::string name_part;  // the middle of a default name (table_<name_part>_idx); "": from elements
};

// Parses each element and the predicate alone (errors: PostgreSQL's own, e.g. 42601), checks the
// INCLUDE names are columns (42703), and returns the CREATE INDEX statement: `name` quoted, or no
// name when empty.
std::string build_statement(const IndexRequest& request, const std::string& name);

// The definition `statement` (built by build_statement, the caller's own request) gives, parsed
// and transformed as the current user, serialised (nodeToString of plain nodes): what
// find_equivalent_index and same_definition compare, and what a queued job stores. Errors from
// transforming the statement are PostgreSQL's (42703 for an unknown column, 42883 for an unknown
// function, 42704 for an unknown method or operator class).
std::string definition_tree(Oid relation, const std::string& statement);

// The name of a valid index on the relation with the definition `tree` (from definition_tree), if
// any. Existing indexes are read as stored; nothing is parsed or evaluated.
std::optional<std::string> find_equivalent_index(Oid relation, const std::string& tree);

// Whether two trees from definition_tree define equivalent indexes (nothing parsed or evaluated);
// false for a tree another PostgreSQL major version wrote (its node format may differ).
bool same_definition(const std::string& a, const std::string& b);

// Whether `expression` (SQL text pgfast built from the caller's request, parsed as the caller, as
// an index expression of `relation`) equals the expression tree `stored` (nodeToString form, e.g.
// pg_attrdef.adbin of a generated column), which is read as stored, never parsed from text.
bool expression_equals_stored(Oid relation, const std::string& expression,
                              const std::string& stored);

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
