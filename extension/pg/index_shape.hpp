// Index definitions as PostgreSQL sees them (indexes/definition.hpp says why): parsing one
// CREATE INDEX statement with PostgreSQL's grammar, transforming it as the current user into what
// pg_index stores (its "shape": access method, key attribute numbers, operator classes,
// collations, ordering options, expression and predicate trees, key-column count, uniqueness),
// and comparing shapes with the indexes that exist, read as pg_index stores them (never through
// the relcache's eval_const_expressions: CVE-2022-1552). A shape travels as node text
// (nodeToString of plain nodes).
#pragma once

#include <optional>
#include <string>

#include "pg/postgres.hpp"

namespace pgfast::pg {

// 42704 unless an index access method of that name exists.
void require_index_method(const std::string& method);

// Whether `sql` parses (PostgreSQL's grammar and its syntax errors, e.g. 42601) to one CREATE
// INDEX with exactly `elements` key elements, `include` INCLUDE columns, a predicate iff
// `has_where`, and nothing else (no options, tablespace, NULLS NOT DISTINCT or IF NOT EXISTS).
bool index_statement_has_only(const std::string& sql, int elements, int include, bool has_where);

// The shape of the index `sql` defines on `relation`, parsed and transformed as the current user
// (errors are PostgreSQL's: 42703, 42883, 42704; 0A000 for what the access method cannot do).
std::string index_shape(Oid relation, const std::string& sql);

// The name of a valid, ready index of `relation` with that shape, if any (XX001 for a malformed
// shape).
std::optional<std::string> find_index_with_shape(Oid relation, const std::string& shape);

// Whether two shapes are equal (expression trees compared with equal(), positions ignored).
bool same_index_shape(const std::string& a, const std::string& b);

// Whether the single expression element of `sql` (a CREATE INDEX over one expression), transformed
// on `relation` as the current user, equals the stored expression tree `stored` (node text).
bool index_expression_equals_stored(Oid relation, const std::string& sql,
                                    const std::string& stored);

// The name of another valid index of the same table with `index`'s shape and a lower OID, if any.
std::optional<std::string> older_equivalent_index(Oid index);

// What one index element contributes to a default index name: the column, the function's name, or
// "expr" (as PostgreSQL's ChooseIndexColumnNames).
std::string index_element_name_part(const std::string& element);

// ChooseRelationName(relation's name, name2, label) in the relation's schema: a name no relation
// of the schema has.
std::string choose_relation_name(Oid relation, const std::string& name2, const std::string& label);

}  // namespace pgfast::pg
