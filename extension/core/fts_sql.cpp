#include "core/fts_sql.hpp"

#include "core/error.hpp"
#include "core/sql_text.hpp"

namespace pgfast {

std::string sql_literal(const std::string& value) {
  if (value.find('\0') != std::string::npos) {
    throw Error(sqlstate::kInvalidParameterValue, "a literal must not contain a NUL byte");
  }
  std::string out = "'";
  for (char c : value) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

std::string fts_document_sql(const std::vector<std::string>& columns,
                             const std::vector<char>& weights, const std::string& config_literal) {
  if (columns.empty()) {
    throw Error(sqlstate::kInvalidParameterValue, "columns must name at least one column");
  }
  if (!weights.empty() && weights.size() != columns.size()) {
    throw Error(sqlstate::kInvalidParameterValue, "weights must have one entry per column (" +
                                                      std::to_string(columns.size()) + "), got " +
                                                      std::to_string(weights.size()));
  }
  std::string sql;
  for (size_t i = 0; i < columns.size(); ++i) {
    std::string vector = "pg_catalog.to_tsvector(" + config_literal + ", COALESCE(" +
                         quote_identifier(columns[i]) + "::pg_catalog.text, ''))";
    if (!weights.empty()) {
      char w = weights[i];
      if (w >= 'a' && w <= 'd') w = static_cast<char>(w - 'a' + 'A');
      if (w < 'A' || w > 'D') {
        throw Error(sqlstate::kInvalidParameterValue,
                    std::string("weights must be A, B, C or D, got '") + weights[i] + "'");
      }
      vector = "pg_catalog.setweight(" + vector + ", '" + w + "')";
    }
    sql += (i ? " OPERATOR(pg_catalog.||) " : "") + vector;
  }
  return sql;
}

std::string fts_query_sql(int config_param, int query_param, bool prefix) {
  std::string query = "pg_catalog.websearch_to_tsquery($" + std::to_string(config_param) +
                      "::pg_catalog.regconfig, $" + std::to_string(query_param) + ")";
  if (!prefix) return query;
  // Every quoted lexeme ('fox', 'o''brien') gets the prefix flag: 'fox':*.
  return "pg_catalog.regexp_replace(" + query +
         "::pg_catalog.text, '(''(?:[^'']|'''')*'')', '\\1:*', 'g')::pg_catalog.tsquery";
}

std::string headline_source_sql(const std::string& text_sql) {
  return "pg_catalog.translate(" + text_sql +
         ", pg_catalog.chr(1) OPERATOR(pg_catalog.||) pg_catalog.chr(2), '')";
}

std::string headline_options_with_markers(const std::string& options) {
  if (options.find_first_of(std::string{kHighlightStart, kHighlightStop}) != std::string::npos) {
    throw Error(sqlstate::kInvalidParameterValue,
                "option \"headline_options\" must not contain the control characters U+0001 or "
                "U+0002");
  }
  std::string out = options;
  if (out.find_first_not_of(" \t\r\n") != std::string::npos) out += ", ";
  out += std::string("StartSel=") + kHighlightStart + ", StopSel=" + kHighlightStop;
  return out;
}

std::string html_headline(std::string_view raw) {
  std::string out;
  out.reserve(raw.size() + raw.size() / 8);
  for (char c : raw) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      case kHighlightStart:
        out += "<b>";
        break;
      case kHighlightStop:
        out += "</b>";
        break;
      default:
        out += c;
    }
  }
  return out;
}

namespace {

constexpr char kRowNumber[] = "n";

}  // namespace

std::string fts_key_alias(size_t i) {
  return "k" + std::to_string(i + 1);
}

std::string fts_rank_sql(const FtsSearchQuery& q) {
  return std::string(q.cover_density ? "pg_catalog.ts_rank_cd(" : "pg_catalog.ts_rank(") + q.match +
         ", " + q.tsquery + ", " + std::to_string(q.normalization) + ")";
}

std::string fts_search_sql(const FtsSearchQuery& q) {
  if (q.key_columns.empty()) {
    throw Error(sqlstate::kInternalError, "fts_search_sql: no key columns");
  }
  const std::string rank = quote_identifier(kFtsRankColumn);
  const std::string row_number = quote_identifier(kRowNumber);
  std::string key_list;
  std::string hit_columns;
  std::string order = " ORDER BY h." + rank + " DESC";
  std::string window_order = " ORDER BY q." + rank + " DESC";
  std::string select_keys = "p." + rank;
  std::string join_on;
  for (size_t i = 0; i < q.key_columns.size(); ++i) {
    const std::string column = quote_identifier(q.key_columns[i]);
    const std::string alias = quote_identifier(fts_key_alias(i));
    key_list += "t." + column + ", ";
    hit_columns += alias + ", ";
    order += ", h." + alias;
    window_order += ", q." + alias;
    select_keys += ", p." + alias;
    join_on += std::string(join_on.empty() ? "" : " AND ") + "r." + column + " = p." + alias;
  }
  hit_columns += rank;

  std::string headline = "NULL::pg_catalog.text";
  if (q.headline != FtsHeadline::kNone) {
    std::string text_source = "pg_catalog.concat_ws(' '";
    for (const std::string& column : q.text_columns) {
      text_source += ", r." + quote_identifier(column) + "::pg_catalog.text";
    }
    text_source += ")";
    if (q.headline == FtsHeadline::kHtml) text_source = headline_source_sql(text_source);
    headline = "CASE WHEN p." + row_number + " <= " + std::to_string(q.page_size) +
               " THEN pg_catalog.ts_headline($" + std::to_string(q.config_param) +
               "::pg_catalog.regconfig, " + text_source + ", " + q.tsquery + ", $" +
               std::to_string(q.headline_options_param) + ") END";
  }
  std::string row_json = "pg_catalog.to_jsonb(r.*)";
  if (q.excluded_column_param > 0) {
    row_json = "(" + row_json + " OPERATOR(pg_catalog.-) $" +
               std::to_string(q.excluded_column_param) + ")";
  }
  // The match references the table's columns unqualified; inside "t" they resolve to it.
  const std::string hits = "SELECT " + key_list + fts_rank_sql(q) + " FROM " + q.table +
                           " t WHERE " + q.match + " OPERATOR(pg_catalog.@@) " + q.tsquery +
                           " OFFSET 0";
  const std::string page = "SELECT h.* FROM (" + hits + ") h(" + hit_columns + ")" +
                           (q.seek.empty() ? std::string() : " WHERE " + q.seek) + order +
                           " LIMIT " + std::to_string(q.page_size + 1L);
  return "SELECT " + select_keys + ", " + row_json + ", pg_catalog.to_jsonb(p." + rank + "), " +
         headline + " FROM (SELECT q.*, pg_catalog.row_number() OVER (" + window_order + ") AS " +
         row_number + " FROM (" + page + ") q) p JOIN " + q.table + " r ON " + join_on +
         " ORDER BY p." + row_number;
}

}  // namespace pgfast
