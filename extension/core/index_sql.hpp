// SQL text of index definitions (pure C++): the CREATE INDEX statement ensure_index runs or queues,
// the probe statements each user-supplied piece is parsed in alone (indexes/definition.hpp), and
// the pieces of a default index name. Identifiers are quoted here; elements and the predicate are
// the caller's text, spliced only after PostgreSQL's grammar has accepted each alone.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace pgfast::index_sql {

struct IndexDefinition {
  std::vector<std::string> elements;  // index elements as the caller wrote them
  std::vector<std::string> include;   // column names
  std::optional<std::string> where;   // predicate expression
  std::string method = "btree";
  bool unique = false;
  bool concurrently = false;
};

// 22023 unless the definition has at least one element.
void require_elements(const IndexDefinition& definition);

// The statements one element, one predicate or one expression is parsed in alone: a piece that
// is more than one element or expression shows in the parse tree.
std::string element_probe(const std::string& element);
std::string where_probe(const std::string& where);
std::string expression_probe(const std::string& expression);

// CREATE [UNIQUE] INDEX [CONCURRENTLY] ["name"] ON "schema"."table" USING "method" (elements)
// [INCLUDE ("c", ...)] [WHERE (predicate)]; no name when `name` is empty.
std::string create_index(const IndexDefinition& definition, const std::string& schema,
                         const std::string& table, const std::string& name);

// The middle of a default index name: the elements' parts joined with "_" (as PostgreSQL's
// ChooseIndexColumnNames does), no more parts once it is `limit` bytes long.
std::string name_columns(const std::vector<std::string>& parts, std::size_t limit);

// The last part of a default index name: "key" for unique indexes, else "idx"; attempt n > 0
// appends n.
std::string name_label(bool unique, int attempt);

}  // namespace pgfast::index_sql
