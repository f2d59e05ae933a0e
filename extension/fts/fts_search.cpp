// pgfast.fts_search(target, query, page_size, after, options): one page of full-text hits.
//
// The match is `<document> @@ websearch_to_tsquery(config, query)` with the document exactly as
// fts_index recorded it (the indexed expression, or the generated column), so the GIN index
// serves it; the tsquery is built from parameters by immutable functions and folds to a constant
// at plan time. Hits are ordered by (rank DESC, primary key), which is unique; a page is the first
// page_size hits after the cursor position, fetched with page_size + 1 for has_next. Headlines
// (ts_headline, the costly part) are computed in an outer query for the page's rows only. Cursors
// are pgfast.page's: the same codec and secret, bound to the relation, the match and the query.
#include <optional>
#include <string>
#include <vector>

#include "core/cursor_codec.hpp"
#include "core/error.hpp"
#include "core/fts_sql.hpp"
#include "core/seek_predicate.hpp"
#include "core/sql_text.hpp"
#include "fts/fts_config.hpp"
#include "pg/json_options.hpp"
#include "paging/cursor_secret.hpp"
#include "paging/settings.hpp"
#include "pg/datum.hpp"
#include "pg/guard.hpp"
#include "pg/relation_info.hpp"
#include "pg/spi.hpp"
#include "pg/sql_function.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "utils/lsyscache.h"
}

namespace pgfast::fts {

namespace {

// Every subquery of the search selects only columns named here (the table's key columns are
// renamed by a column alias list), so no user column name can collide with them.
constexpr char kRank[] = "rank";
constexpr char kRowNumber[] = "n";
std::string key_alias(size_t i) {
  return "k" + std::to_string(i + 1);
}

// Longest query text accepted (a web search string; longer is 54000 before any work).
constexpr size_t kMaxQueryBytes = 16 * 1024;

enum class Headline { kNone, kHtml, kRaw };

struct SearchOptions {
  bool prefix = false;
  bool cover_density = false;  // ts_rank_cd instead of ts_rank
  int normalization = 0;
  Headline headline = Headline::kHtml;
  std::string headline_options;
};

Headline parse_headline(const pg::JsonOption& o) {
  if (o.type == "boolean") return pg::option_bool(o) ? Headline::kHtml : Headline::kNone;
  if (o.type == "string" && o.text == "html") return Headline::kHtml;
  if (o.type == "string" && o.text == "raw") return Headline::kRaw;
  throw Error(sqlstate::kInvalidParameterValue,
              "option \"headline\" must be true, false, \"html\" or \"raw\", got " + o.text);
}

SearchOptions parse_options(pg::SpiSession& spi, FunctionCallInfo fcinfo) {
  SearchOptions out;
  for (const pg::JsonOption& o : pg::read_options(spi, fcinfo, 4)) {
    if (o.key == "prefix") {
      out.prefix = pg::option_bool(o);
    } else if (o.key == "rank") {
      std::string v = pg::option_string(o);
      if (v != "ts_rank" && v != "ts_rank_cd") {
        throw Error(sqlstate::kInvalidParameterValue,
                    "option \"rank\" must be \"ts_rank\" or \"ts_rank_cd\", got " + o.text);
      }
      out.cover_density = v == "ts_rank_cd";
    } else if (o.key == "normalization") {
      if (o.type != "number" || o.text.find_first_not_of("0123456789") != std::string::npos ||
          o.text.size() > 2 || std::stoi(o.text) > 63) {
        throw Error(
            sqlstate::kInvalidParameterValue,
            "option \"normalization\" must be an integer from 0 to 63 (a bit mask), got " + o.text);
      }
      out.normalization = std::stoi(o.text);
    } else if (o.key == "headline") {
      out.headline = parse_headline(o);
    } else if (o.key == "headline_options") {
      out.headline_options = pg::option_string(o);
    } else {
      pg::unknown_option(o, "prefix, rank, normalization, headline and headline_options");
    }
  }
  return out;
}

struct Hit {
  CursorPosition key;
  std::string item;
};

std::string search_json(FunctionCallInfo fcinfo) {
  if (PG_ARGISNULL(0)) throw Error(sqlstate::kNullValueNotAllowed, "target must not be NULL");
  if (PG_ARGISNULL(1)) throw Error(sqlstate::kNullValueNotAllowed, "query must not be NULL");
  Oid relation = PG_GETARG_OID(0);
  std::string query = pg::text_arg(fcinfo, 1);
  if (query.size() > kMaxQueryBytes) {
    throw Error(sqlstate::kProgramLimitExceeded,
                "query is " + std::to_string(query.size()) + " bytes long, at most " +
                    std::to_string(kMaxQueryBytes) + " are allowed");
  }
  int page_size = paging::resolve_page_size(PG_ARGISNULL(2),
                                            PG_ARGISNULL(2) ? 0 : PG_GETARG_INT32(2), "page_size");
  std::optional<std::string> after;
  if (!PG_ARGISNULL(3)) after = pg::text_arg(fcinfo, 3);

  pg::SpiSession spi;
  SearchOptions options = parse_options(spi, fcinfo);
  pg::RelationInfo info = pg::load_relation(spi, relation);
  std::optional<FtsConfig> config = load_config(spi, relation);
  if (!config) {
    throw Error(sqlstate::kObjectNotInPrerequisiteState,
                "no full-text index is recorded for " + info.qualified_name, "",
                "Create one with pgfast.fts_index first.");
  }
  const pg::UniqueIndex* key = info.primary_key();
  if (key == nullptr) {
    throw Error(sqlstate::kObjectNotInPrerequisiteState,
                info.qualified_name + " has no primary key to order hits with equal rank");
  }

  // $1 config, $2 query; cursor values after them.
  pg::SpiArgs args;
  args.add(OIDOID, ObjectIdGetDatum(config->config));
  args.add_text(query);
  std::string tsquery = fts_query_sql(1, 2, options.prefix);
  std::string match = match_expression(*config);
  std::string rank =
      std::string(options.cover_density ? "pg_catalog.ts_rank_cd(" : "pg_catalog.ts_rank(") +
      match + ", " + tsquery + ", " + std::to_string(options.normalization) + ")";

  std::string canonical =
      std::string("fts v1 ") + (options.cover_density ? "ts_rank_cd " : "ts_rank ") +
      std::to_string(options.normalization) + (options.prefix ? " prefix " : " ") + match;
  Sha256Digest fingerprint = cursor_fingerprint(relation, canonical, query);
  std::string secret = paging::cursor_secret();
  std::optional<CursorPosition> position;
  if (after) position = decode_cursor(*after, fingerprint, secret, 1 + key->columns.size());

  // The hits subquery "h" renames its columns to (k1, ..., kN, rank); "q" and "p" add only "n".
  std::vector<SeekColumn> seek;
  std::vector<Oid> key_types{FLOAT4OID};
  {
    SeekColumn r;
    r.key = OrderKey{kRank, true, false};
    r.not_null = true;
    seek.push_back(r);
  }
  std::string key_list;
  std::string hit_columns;
  std::string order = " ORDER BY h." + quote_identifier(kRank) + " DESC";
  std::string window_order = " ORDER BY q." + quote_identifier(kRank) + " DESC";
  std::string select_keys = "p." + quote_identifier(kRank);
  std::string join_on;
  for (size_t i = 0; i < key->columns.size(); ++i) {
    const pg::ColumnInfo& c = info.require_column(key->columns[i], "primary key");
    std::string alias = quote_identifier(key_alias(i));
    SeekColumn s;
    s.key = OrderKey{key_alias(i), false, false};
    s.not_null = true;
    seek.push_back(s);
    key_types.push_back(c.type);
    key_list += "t." + quote_identifier(c.name) + ", ";
    hit_columns += alias + ", ";
    order += ", h." + alias;
    window_order += ", q." + alias;
    select_keys += ", p." + alias;
    join_on += std::string(join_on.empty() ? "" : " AND ") + "r." + quote_identifier(c.name) +
               " = p." + alias;
  }
  hit_columns += quote_identifier(kRank);
  std::string seek_sql;
  if (position) {
    for (size_t i = 0; i < seek.size(); ++i) {
      if (!position->values[i])
        throw Error(sqlstate::kInvalidParameterValue, "invalid cursor: NULL key");
      seek[i].param =
          args.add(key_types[i], pg::receive_binary(key_types[i], *position->values[i]));
    }
    seek_sql = " WHERE " + seek_predicate(seek, "h");
  }

  std::string headline = "NULL::pg_catalog.text";
  if (options.headline != Headline::kNone) {
    std::string text_source = "pg_catalog.concat_ws(' '";
    for (const std::string& column : config->columns) {
      text_source += ", r." + quote_identifier(column) + "::pg_catalog.text";
    }
    text_source += ")";
    std::string headline_options = options.headline_options;
    if (options.headline == Headline::kHtml) {
      text_source = headline_source_sql(text_source);
      headline_options = headline_options_with_markers(headline_options);
    }
    int opts = args.add_text(headline_options);
    headline = "CASE WHEN p." + quote_identifier(kRowNumber) + " <= " + std::to_string(page_size) +
               " THEN pg_catalog.ts_headline($1::pg_catalog.regconfig, " + text_source + ", " +
               tsquery + ", $" + std::to_string(opts) + ") END";
  }
  // The row as JSON, without the generated tsvector (large, and not the caller's data).
  std::string row_json = "pg_catalog.to_jsonb(r.*)";
  if (!config->generated_column.empty()) {
    int column = args.add_text(config->generated_column);
    row_json = "(" + row_json + " OPERATOR(pg_catalog.-) $" + std::to_string(column) + ")";
  }
  // Innermost: keys and rank of every hit (OFFSET 0 keeps it a subquery, so the rank is computed
  // once per hit); then the seek, ORDER BY, LIMIT page_size + 1; then row numbers; only then,
  // for those rows, the row JSON and the headline, joined back by primary key. The match
  // references the table's columns unqualified; inside "t" they resolve to it.
  std::string hits_sql = "SELECT " + key_list + rank + " FROM " + info.qualified_name +
                         " t WHERE " + match + " OPERATOR(pg_catalog.@@) " + tsquery + " OFFSET 0";
  std::string page_sql = "SELECT h.* FROM (" + hits_sql + ") h(" + hit_columns + ")" + seek_sql +
                         order + " LIMIT " + std::to_string(page_size + 1L);
  std::string sql = "SELECT " + select_keys + ", " + row_json + "::pg_catalog.text, " +
                    "pg_catalog.to_jsonb(p." + quote_identifier(kRank) + ")::pg_catalog.text, " +
                    headline + " FROM (SELECT q.*, pg_catalog.row_number() OVER (" + window_order +
                    ") AS " + quote_identifier(kRowNumber) + " FROM (" + page_sql + ") q) p JOIN " +
                    info.qualified_name + " r ON " + join_on + " ORDER BY p." +
                    quote_identifier(kRowNumber);
  spi.execute(sql, args, true);

  std::vector<Hit> hits;
  int keys = static_cast<int>(key_types.size());
  for (uint64_t r = 0; r < spi.rows(); ++r) {
    Hit hit;
    for (int k = 0; k < keys; ++k) {
      bool is_null;
      Datum value = spi.datum(r, k, &is_null);
      hit.key.values.push_back(
          is_null ? std::nullopt
                  : std::optional<std::string>(pg::send_binary(spi.column_type(k), value)));
    }
    std::optional<std::string> text = spi.text(r, keys + 2);
    std::string headline_json = "null";
    if (text) {
      headline_json =
          json_quote(options.headline == Headline::kHtml ? html_headline(*text) : *text);
    }
    hit.item = "{\"row\": " + spi.text_not_null(r, keys) +
               ", \"rank\": " + spi.text_not_null(r, keys + 1) +
               ", \"headline\": " + headline_json + "}";
    hits.push_back(std::move(hit));
  }
  bool has_next = hits.size() > static_cast<size_t>(page_size);
  if (has_next) hits.pop_back();
  std::string json = "{\"items\": [";
  for (size_t i = 0; i < hits.size(); ++i) json += (i ? ", " : "") + hits[i].item;
  json += "], \"next_cursor\": ";
  json +=
      has_next
          ? json_quote(encode_cursor(hits.back().key, fingerprint, secret, paging::cursor_form()))
          : "null";
  json += std::string(", \"has_next\": ") + (has_next ? "true" : "false");
  json += ", \"page_size\": " + std::to_string(page_size) + "}";
  return json;
}

}  // namespace

PGFAST_FUNCTION(pgfast_fts_search) {
  return pg::jsonb_datum(search_json(fcinfo));
}

}  // namespace pgfast::fts
