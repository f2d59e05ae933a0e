#include "core/index_sql.hpp"

#include "core/error.hpp"
#include "core/sql_text.hpp"

namespace pgfast::index_sql {

void require_elements(const IndexDefinition& definition) {
  if (definition.elements.empty()) {
    throw Error(sqlstate::kInvalidParameterValue,
                "columns must name at least one column or expression");
  }
}

std::string element_probe(const std::string& element) {
  return "CREATE INDEX ON x (" + element + ")";
}

std::string where_probe(const std::string& where) {
  return "CREATE INDEX ON x (y) WHERE (" + where + ")";
}

std::string expression_probe(const std::string& expression) {
  return "CREATE INDEX ON x ((" + expression + "))";
}

std::string create_index(const IndexDefinition& definition, const std::string& schema,
                         const std::string& table, const std::string& name) {
  std::string sql = definition.unique ? "CREATE UNIQUE INDEX " : "CREATE INDEX ";
  if (definition.concurrently) sql += "CONCURRENTLY ";
  if (!name.empty()) sql += quote_identifier(name) + " ";
  sql += "ON " + quote_qualified(schema, table) + " USING " + quote_identifier(definition.method) +
         " (";
  for (size_t i = 0; i < definition.elements.size(); ++i) {
    sql += (i ? ", " : "") + definition.elements[i];
  }
  sql += ")";
  if (!definition.include.empty()) {
    sql += " INCLUDE (";
    for (size_t i = 0; i < definition.include.size(); ++i) {
      sql += (i ? ", " : "") + quote_identifier(definition.include[i]);
    }
    sql += ")";
  }
  if (definition.where) sql += " WHERE (" + *definition.where + ")";
  return sql;
}

std::string name_columns(const std::vector<std::string>& parts, std::size_t limit) {
  std::string columns;
  for (const std::string& part : parts) {
    if (!columns.empty()) columns += "_";
    columns += part;
    if (columns.size() >= limit) break;
  }
  return columns;
}

std::string name_label(bool unique, int attempt) {
  return std::string(unique ? "key" : "idx") + (attempt ? std::to_string(attempt) : std::string());
}

}  // namespace pgfast::index_sql
