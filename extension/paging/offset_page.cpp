// pgfast.offset_page(source, order_by, page, per_page, filter): numbered pages with totals, in
// the same unique order as pgfast.page.
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/sql_text.hpp"
#include "paging/page_query.hpp"
#include "paging/settings.hpp"
#include "pg/datum.hpp"
#include "pg/guard.hpp"
#include "pg/spi.hpp"

namespace pgfast::paging {

namespace {

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

  pg::SpiSession spi;
  ResolvedSource source = resolve_source(spi, relation, order_by, filter, filter_is_null);
  std::string from = from_where(source, {source.filter.condition});

  pg::SpiArgs count_args = source.filter_args;
  spi.execute("SELECT count(*)" + from, count_args, true);
  int64_t total = std::stoll(spi.text_not_null(0, 0));

  pg::SpiArgs page_args = source.filter_args;
  int64_t offset = (page - 1) * per_page;
  spi.execute("SELECT pg_catalog.to_jsonb(" + quote_identifier(kAlias) + ".*)::text" + from +
                  order_by_clause(source.order) + " LIMIT " + std::to_string(per_page) +
                  " OFFSET " + std::to_string(offset),
              page_args, true);
  std::vector<std::string> items;
  for (uint64_t r = 0; r < spi.rows(); ++r) items.push_back(spi.text_not_null(r, 0));

  int64_t pages = (total + per_page - 1) / per_page;
  std::string json = "{\"items\": ";
  append_json_array(json, items);
  json += ", \"total\": " + std::to_string(total);
  json += ", \"page\": " + std::to_string(page);
  json += ", \"per_page\": " + std::to_string(per_page);
  json += ", \"pages\": " + std::to_string(pages);
  json += std::string(", \"has_next\": ") + (page < pages ? "true" : "false");
  json += std::string(", \"has_prev\": ") + (page > 1 && total > 0 ? "true" : "false");
  json += "}";
  return json;
}

}  // namespace

}  // namespace pgfast::paging

extern "C" {
PG_FUNCTION_INFO_V1(pgfast_offset_page);
Datum pgfast_offset_page(PG_FUNCTION_ARGS) {
  return pgfast::pg::sql_entry(
      [&] { return pgfast::pg::jsonb_datum(pgfast::paging::offset_page_json(fcinfo)); });
}
}
