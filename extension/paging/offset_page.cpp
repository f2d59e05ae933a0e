// pgfast.offset_page(source, order_by, page, per_page, filter, count): numbered pages, in the
// same unique order as pgfast.page, with a total that is counted ('exact', the default), the
// planner's row estimate ('estimated') or left out ('none': total and pages are null). The 0.1.0
// signature (five arguments, no count) calls the same symbol and means 'exact'.
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/page_json.hpp"
#include "core/sql_text.hpp"
#include "paging/page_query.hpp"
#include "paging/settings.hpp"
#include "pg/datum.hpp"
#include "pg/guard.hpp"
#include "pg/spi.hpp"
#include "pg/sql_function.hpp"

namespace pgfast::paging {

namespace {

enum class CountMode { kExact, kEstimated, kNone };

CountMode count_mode(FunctionCallInfo fcinfo) {
  if (PG_NARGS() < 6 || PG_ARGISNULL(5)) return CountMode::kExact;
  std::string mode = pg::text_arg(fcinfo, 5);
  if (mode == "exact") return CountMode::kExact;
  if (mode == "estimated") return CountMode::kEstimated;
  if (mode == "none") return CountMode::kNone;
  throw Error(sqlstate::kInvalidParameterValue,
              "count must be 'exact', 'estimated' or 'none', got " + json_quote(mode));
}

// The planner's estimate of the rows `from` yields: the top node's "Plan Rows" in EXPLAIN (FORMAT
// JSON) of SELECT 1 <from>, planned with the same parameters.
int64_t estimated_rows(pg::SpiSession& spi, const std::string& from, pg::SpiArgs& args) {
  // Not read_only: SPI refuses EXPLAIN there (it is a utility statement); without ANALYZE it only
  // plans, reads and writes nothing.
  spi.execute("EXPLAIN (FORMAT JSON) SELECT 1" + from, args, false);
  std::string plan = spi.text_not_null(0, 0);
  const std::string key = "\"Plan Rows\": ";
  size_t at = plan.find(key);
  if (at == std::string::npos) {
    throw Error(sqlstate::kInternalError, "offset_page: no \"Plan Rows\" in the count estimate");
  }
  return std::llround(std::stod(plan.substr(at + key.size())));
}

// The page as JSON text. The jsonb Datum is made by the caller, after SPI is finished: memory
// allocated while SPI is connected belongs to SPI and is freed by SPI_finish.
std::string offset_page_json(FunctionCallInfo fcinfo) {
  if (PG_ARGISNULL(0)) throw Error(sqlstate::kNullValueNotAllowed, "source must not be NULL");
  Oid relation = PG_GETARG_OID(0);
  std::optional<std::string> order_by;
  if (!PG_ARGISNULL(1)) order_by = pg::text_arg(fcinfo, 1);
  int64_t page = PG_ARGISNULL(2) ? 1 : PG_GETARG_INT32(2);
  if (page < 1) {
    throw Error(sqlstate::kInvalidParameterValue,
                "page must be at least 1, got " + std::to_string(page));
  }
  int per_page =
      resolve_page_size(PG_ARGISNULL(3), PG_ARGISNULL(3) ? 0 : PG_GETARG_INT32(3), "per_page");
  bool filter_is_null = PG_ARGISNULL(4);
  Datum filter = filter_is_null ? static_cast<Datum>(0) : PG_GETARG_DATUM(4);
  CountMode mode = count_mode(fcinfo);

  pg::SpiSession spi;
  ResolvedSource source = resolve_source(spi, relation, order_by, filter, filter_is_null);
  std::string from = from_where(source, {source.filter.condition});

  // With an exact count the page's rows are known from the total; otherwise one row more than the
  // page is fetched, so has_next stays exact.
  std::optional<int64_t> total;
  pg::SpiArgs count_args = source.filter_args;
  if (mode == CountMode::kExact) {
    spi.execute("SELECT count(*)" + from, count_args, true);
    total = std::stoll(spi.text_not_null(0, 0));
  } else if (mode == CountMode::kEstimated) {
    total = estimated_rows(spi, from, count_args);
  }

  pg::SpiArgs page_args = source.filter_args;
  int64_t offset = (page - 1) * per_page;
  long fetch = per_page + (mode == CountMode::kExact ? 0 : 1);
  spi.execute("SELECT pg_catalog.to_jsonb(" + quote_identifier(kAlias) + ".*)::text" + from +
                  order_by_clause(source.order) + " LIMIT " + std::to_string(fetch) + " OFFSET " +
                  std::to_string(offset),
              page_args, true);
  std::vector<std::string> items;
  for (uint64_t r = 0; r < spi.rows() && r < static_cast<uint64_t>(per_page); ++r) {
    items.push_back(spi.text_not_null(r, 0));
  }

  bool has_next;
  bool has_prev;
  if (mode == CountMode::kExact) {
    has_next = page < (*total + per_page - 1) / per_page;
    has_prev = page > 1 && *total > 0;
  } else {
    has_next = spi.rows() > static_cast<uint64_t>(per_page);
    has_prev = page > 1;
    // An estimate never contradicts what the page saw: at least the rows up to this page's end.
    int64_t seen = offset + static_cast<int64_t>(items.size()) + (has_next ? 1 : 0);
    if (total && *total < seen) total = seen;
  }

  auto number = [](const std::optional<int64_t>& v) {
    return v ? std::to_string(*v) : std::string("null");
  };
  std::optional<int64_t> pages;
  if (total) pages = (*total + per_page - 1) / per_page;
  std::string json = "{\"items\": ";
  append_json_array(json, items);
  json += ", \"total\": " + number(total);
  json += ", \"page\": " + std::to_string(page);
  json += ", \"per_page\": " + std::to_string(per_page);
  json += ", \"pages\": " + number(pages);
  json += std::string(", \"has_next\": ") + (has_next ? "true" : "false");
  json += std::string(", \"has_prev\": ") + (has_prev ? "true" : "false");
  json += "}";
  return json;
}

}  // namespace

PGFAST_FUNCTION(pgfast_offset_page) {
  return pg::jsonb_datum(offset_page_json(fcinfo));
}

}  // namespace pgfast::paging
