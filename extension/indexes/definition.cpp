#include "indexes/definition.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "pg/catalog.hpp"
#include "pg/index_shape.hpp"

namespace pgfast::indexes {

namespace {

// A stored tree is in the node format of the server that wrote it, which may change between major
// versions (a job queued before pg_upgrade): trees carry this prefix, and one without it matches
// nothing instead of being misread.
constexpr const char kTreePrefix[] = "pgfast definition 1, PostgreSQL " PG_MAJORVERSION ": ";

[[noreturn]] void reject_piece(const char* what, const std::string& text) {
  throw Error(sqlstate::kSyntaxError, std::string(what) + " is not a single index element: " + text,
              "",
              "Write one column name or expression per array element, optionally followed by "
              "COLLATE, an operator class, ASC/DESC and NULLS FIRST/LAST.");
}

}  // namespace

std::string build_statement(const IndexRequest& request, const std::string& name) {
  index_sql::require_elements(request);
  for (const std::string& element : request.elements) {
    if (!pg::index_statement_has_only(index_sql::element_probe(element), 1, 0, false)) {
      reject_piece("column", element);
    }
  }
  if (request.where) {
    if (!pg::index_statement_has_only(index_sql::where_probe(*request.where), 1, 0, true)) {
      reject_piece("where", *request.where);
    }
  }
  Oid relid = request.relation;
  for (const std::string& column : request.include) {
    if (!pg::has_column(relid, column)) {
      throw Error(sqlstate::kUndefinedColumn, "column \"" + column +
                                                  "\" of include does not exist in " +
                                                  pg::relation_name(relid).value_or("(null)"));
    }
  }
  pg::require_index_method(request.method);
  std::optional<std::string> schema = pg::relation_schema(relid);
  std::optional<std::string> table = pg::relation_name(relid);
  if (!schema || !table) {
    throw Error(sqlstate::kUndefinedTable, "relation " + std::to_string(relid) + " does not exist");
  }
  std::string sql = index_sql::create_index(request, *schema, *table, name);

  // Belt and braces: the whole statement has exactly the pieces it was built from.
  bool ok = pg::index_statement_has_only(sql, static_cast<int>(request.elements.size()),
                                         static_cast<int>(request.include.size()),
                                         request.where.has_value());
  if (!ok)
    throw Error(sqlstate::kSyntaxError, "the index definition does not parse as built: " + sql);
  return sql;
}

std::string definition_tree(Oid relation, const std::string& statement) {
  return kTreePrefix + pg::index_shape(relation, statement);
}

namespace {

// The shape in a tree made by definition_tree on this major version, or nullopt.
std::optional<std::string> tree_shape(const std::string& tree) {
  size_t n = sizeof(kTreePrefix) - 1;
  if (tree.compare(0, n, kTreePrefix) != 0) return std::nullopt;
  return tree.substr(n);
}

}  // namespace

std::optional<std::string> find_equivalent_index(Oid relation, const std::string& tree) {
  std::optional<std::string> shape = tree_shape(tree);
  if (!shape) return std::nullopt;
  return pg::find_index_with_shape(relation, *shape);
}

bool same_definition(const std::string& a, const std::string& b) {
  std::optional<std::string> sa = tree_shape(a);
  std::optional<std::string> sb = tree_shape(b);
  return sa && sb && pg::same_index_shape(*sa, *sb);
}

bool expression_equals_stored(Oid relation, const std::string& expression,
                              const std::string& stored) {
  return pg::index_expression_equals_stored(relation, index_sql::expression_probe(expression),
                                            stored);
}

std::string choose_index_name(Oid relation, const IndexRequest& request,
                              const std::vector<std::string>& taken) {
  std::string columns = request.name_part;
  if (columns.empty()) {
    std::vector<std::string> parts;
    for (const std::string& element : request.elements) {
      parts.push_back(pg::index_element_name_part(element));
    }
    columns = index_sql::name_columns(parts, NAMEDATALEN);
  }
  for (int attempt = 0;; ++attempt) {
    std::string chosen =
        pg::choose_relation_name(relation, columns, index_sql::name_label(request.unique, attempt));
    if (std::find(taken.begin(), taken.end(), chosen) == taken.end()) return chosen;
  }
}

std::optional<std::string> duplicate_of(Oid index) {
  return pg::older_equivalent_index(index);
}

}  // namespace pgfast::indexes
