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

}  // namespace pgfast
