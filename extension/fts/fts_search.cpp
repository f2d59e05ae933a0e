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
#include "paging/page_result.hpp"
#include "paging/settings.hpp"
#include "pg/datum.hpp"
#include "pg/guard.hpp"
#include "pg/jsonb_builder.hpp"
#include "pg/relation_info.hpp"
#include "pg/spi.hpp"
#include "pg/sql_function.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "utils/lsyscache.h"
}

namespace pgfast::fts {

namespace {

// Longest query text accepted (a web search string; longer is 54000 before any work).
constexpr size_t kMaxQueryBytes = 16 * 1024;

struct SearchOptions {
  bool prefix = false;
  bool cover_density = false;  // ts_rank_cd instead of ts_rank
  int normalization = 0;
  FtsHeadline headline = FtsHeadline::kHtml;
  std::string headline_options;
};

FtsHeadline parse_headline(const pg::JsonOption& o) {
  if (o.type == "boolean") return pg::option_bool(o) ? FtsHeadline::kHtml : FtsHeadline::kNone;
  if (o.type == "string" && o.text == "html") return FtsHeadline::kHtml;
  if (o.type == "string" && o.text == "raw") return FtsHeadline::kRaw;
  throw Error(sqlstate::kInvalidParameterValue,
              "option \"headline\" must be true, false, \"html\" or \"raw\", got " + o.text);
}

SearchOptions parse_options(FunctionCallInfo fcinfo) {
  SearchOptions out;
  for (const pg::JsonOption& o : pg::read_options(fcinfo, 4)) {
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
  Datum row;   // jsonb, copied out of SPI
  Datum rank;  // jsonb
  std::optional<std::string> headline;
};

// The hits and the page's other parts; the items are built by the caller, after SPI is finished
// (memory allocated while SPI is connected is freed by SPI_finish).
struct SearchPage {
  std::vector<Hit> hits;
  paging::KeysetPageResult page;
};

SearchPage search(FunctionCallInfo fcinfo) {
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
  SearchOptions options = parse_options(fcinfo);
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
  std::string canonical =
      std::string("fts v1 ") + (options.cover_density ? "ts_rank_cd " : "ts_rank ") +
      std::to_string(options.normalization) + (options.prefix ? " prefix " : " ") + match;
  Sha256Digest fingerprint = cursor_fingerprint(relation, canonical, query);
  std::string secret = paging::cursor_secret();
  std::optional<CursorPosition> position;
  if (after) position = decode_cursor(*after, fingerprint, secret, 1 + key->columns.size());

  // The cursor's key: the rank, then the primary key (k1, ..., kN in the statement's "h").
  FtsSearchQuery search;
  search.table = info.qualified_name;
  search.text_columns = config->columns;
  search.match = match;
  search.tsquery = tsquery;
  search.cover_density = options.cover_density;
  search.normalization = options.normalization;
  search.page_size = page_size;
  search.headline = options.headline;
  search.config_param = 1;
  std::vector<SeekColumn> seek;
  std::vector<Oid> key_types{FLOAT4OID};
  {
    SeekColumn r;
    r.key = OrderKey{kFtsRankColumn, true, false};
    r.not_null = true;
    seek.push_back(r);
  }
  for (size_t i = 0; i < key->columns.size(); ++i) {
    const pg::ColumnInfo& c = info.require_column(key->columns[i], "primary key");
    SeekColumn s;
    s.key = OrderKey{fts_key_alias(i), false, false};
    s.not_null = true;
    seek.push_back(s);
    key_types.push_back(c.type);
    search.key_columns.push_back(c.name);
  }
  if (position) {
    for (size_t i = 0; i < seek.size(); ++i) {
      if (!position->values[i])
        throw Error(sqlstate::kInvalidParameterValue, "invalid cursor: NULL key");
      seek[i].param =
          args.add(key_types[i], pg::receive_binary(key_types[i], *position->values[i]));
    }
    search.seek = seek_predicate(seek, "h");
  }
  if (options.headline != FtsHeadline::kNone) {
    search.headline_options_param =
        args.add_text(options.headline == FtsHeadline::kHtml
                          ? headline_options_with_markers(options.headline_options)
                          : options.headline_options);
  }
  // The row as JSON, without the generated tsvector (large, and not the caller's data).
  if (!config->generated_column.empty()) {
    search.excluded_column_param = args.add_text(config->generated_column);
  }
  const std::string sql = fts_search_sql(search);
  spi.execute(sql, args, true);

  std::vector<Hit> hits;
  int keys = static_cast<int>(key_types.size());
  for (uint64_t r = 0; r < spi.rows(); ++r) {
    Hit hit;
    hit.key.values = spi.binary_values(r, keys);
    hit.row = spi.datum_copy(r, keys);
    hit.rank = spi.datum_copy(r, keys + 1);
    hit.headline = spi.text(r, keys + 2);
    if (hit.headline && options.headline == FtsHeadline::kHtml) {
      hit.headline = html_headline(*hit.headline);
    }
    hits.push_back(std::move(hit));
  }
  bool has_next = hits.size() > static_cast<size_t>(page_size);
  if (has_next) hits.pop_back();
  SearchPage out;
  if (has_next) {
    out.page.next_cursor =
        encode_cursor(hits.back().key, fingerprint, secret, paging::cursor_form());
  }
  out.page.has_next = has_next;
  out.page.page_size = page_size;
  out.hits = std::move(hits);
  return out;
}

// One hit as an item: {"row": ..., "rank": ..., "headline": "..." | null}.
Datum hit_jsonb(const Hit& hit) {
  pg::JsonbBuilder item;
  item.begin_object();
  item.key("row");
  item.jsonb(hit.row);
  item.key("rank");
  item.jsonb(hit.rank);
  item.key("headline");
  if (hit.headline) {
    item.string(*hit.headline);
  } else {
    item.null();
  }
  item.end_object();
  return item.finish();
}

}  // namespace

PGFAST_FUNCTION(pgfast_fts_search) {
  SearchPage result = search(fcinfo);
  for (const Hit& hit : result.hits) result.page.items.push_back(hit_jsonb(hit));
  return paging::keyset_page_jsonb(result.page);
}

}  // namespace pgfast::fts
