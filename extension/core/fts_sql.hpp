// SQL text of pgfast's full-text pieces (pure C++, unit-tested): the tsvector "document" over a
// table's columns that fts_index indexes and fts_search matches -- the two must be the same
// expression for the planner to use the index -- and the tsquery of a web-search string.
#pragma once

#include <optional>
#include <string>
#include <string_view>
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

// HTML-safe headlines. fts_search asks ts_headline to mark highlighted words with these two
// control characters (valid in every server encoding) after removing them from the document
// (headline_source_sql), then escapes the whole headline and turns only the markers into <b> and
// </b> (html_headline). Whatever the document holds, the result is text plus pgfast's own tags.
inline constexpr char kHighlightStart = '\x01';
inline constexpr char kHighlightStop = '\x02';

// `text_sql` (a text expression) with both marker characters removed.
std::string headline_source_sql(const std::string& text_sql);

// The caller's ts_headline options with StartSel/StopSel set to the markers (options given later
// win, so the caller's own StartSel/StopSel are overridden). 22023 if `options` holds a marker.
std::string headline_options_with_markers(const std::string& options);

// `raw` (ts_headline output) with &, <, >, " and ' escaped as HTML entities and each marker
// replaced by <b> or </b>.
std::string html_headline(std::string_view raw);

// A SQL string literal: single quotes doubled, E'' never used (standard_conforming_strings).
std::string sql_literal(const std::string& value);

}  // namespace pgfast
