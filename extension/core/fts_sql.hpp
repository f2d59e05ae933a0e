// SQL text of pgfast's full-text pieces (pure C++, unit-tested): the tsvector "document" over a
// table's columns that fts_index indexes and fts_search matches -- the two must be the same
// expression for the planner to use the index -- and the tsquery of a web-search string.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace pgfast {

// setweight(to_tsvector(<config>, COALESCE(col::text, '')), 'A') || ... for each column (no
// setweight without weights). `config_literal` is a quoted regconfig literal such as
// 'pg_catalog.english'::pg_catalog.regconfig (an index expression cannot take parameters).
// Weights, when given, are one of A, B, C, D per column (22023 otherwise); columns are quoted.
std::string fts_document_sql(const std::vector<std::string>& columns,
                             const std::vector<char>& weights, const std::string& config_literal);

// websearch_to_tsquery($config_param::regconfig, $query_param); with `prefix`, every lexeme of it
// becomes a prefix match (lexeme:*).
std::string fts_query_sql(int config_param, int query_param, bool prefix);

// A SQL string literal: single quotes doubled, E'' never used (standard_conforming_strings).
std::string sql_literal(const std::string& value);

}  // namespace pgfast
