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

// fts_search's statement, over the table "t" (hits), then "h" (the hits with columns renamed to
// k1, ..., kN, rank: no user column name can collide with them), "q"/"p" (the page with row
// numbers "n") and "r" (the table again, joined by primary key for the row and the headline).
// Innermost: keys and rank of every hit (OFFSET 0 keeps it a subquery, so the rank is computed
// once per hit); then the seek, ORDER BY rank DESC, k1, ..., LIMIT page_size + 1; then row
// numbers; only then, for those rows, the row JSON and the headline.
// Result columns: rank, k1 .. kN (the cursor's key), the row as jsonb (without the excluded
// column), the rank as jsonb, the headline (text or NULL).
inline constexpr char kFtsRankColumn[] = "rank";
// "k1", "k2", ...: the name of the i-th (from 0) primary-key column in "h", "q" and "p".
std::string fts_key_alias(size_t i);

enum class FtsHeadline { kNone, kHtml, kRaw };

struct FtsSearchQuery {
  std::string table;                      // schema-qualified, quoted
  std::vector<std::string> key_columns;   // the primary key's columns (unquoted)
  std::vector<std::string> text_columns;  // the indexed columns: the headline's text (unquoted)
  std::string match;                      // the tsvector expression over the table's columns
  std::string tsquery;                    // the tsquery expression (fts_query_sql)
  bool cover_density = false;             // ts_rank_cd instead of ts_rank
  int normalization = 0;                  // ts_rank's normalization bit mask
  std::string seek;  // the condition over "h" after a cursor (seek_predicate), or empty
  long page_size = 0;
  FtsHeadline headline = FtsHeadline::kNone;
  int config_param = 0;            // $n of the regconfig (for ts_headline)
  int headline_options_param = 0;  // $n of ts_headline's options (with a headline)
  int excluded_column_param = 0;   // $n of the column name left out of the row JSON; 0: none
};

// The rank expression: ts_rank or ts_rank_cd of the match and the tsquery.
std::string fts_rank_sql(const FtsSearchQuery& query);
std::string fts_search_sql(const FtsSearchQuery& query);

// A SQL string literal: single quotes doubled, E'' never used (standard_conforming_strings).
std::string sql_literal(const std::string& value);

}  // namespace pgfast
