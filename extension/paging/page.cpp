// pgfast.page(source, order_by, page_size, after, before, filter): one keyset page.
//
// The page is the first page_size rows after the `after` cursor (or before the `before` cursor,
// walking the order backwards), in the unique order ORDER BY order_by, <tie-breaker>. One query
// fetches page_size + 1 rows (has_next/has_prev in the walking direction); the other direction is
// answered by a one-row probe from the page's edge, so both flags are exact.
//
// Plan shape (docs/pagination.md): the rows after a cursor are read as at most two index ranges
// (seek_ranges), each with ORDER BY <walk> LIMIT, probes included, so an index matching the order
// is walked from the cursor and stops after the page; with such an index and no filter, the
// statements run with seqscan/bitmapscan/sort off (order_index.hpp).
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "core/cursor_codec.hpp"
#include "core/error.hpp"
#include "core/seek_predicate.hpp"
#include "core/sql_text.hpp"
#include "paging/cursor_secret.hpp"
#include "paging/order_index.hpp"
#include "paging/page_query.hpp"
#include "paging/page_result.hpp"
#include "paging/settings.hpp"
#include "pg/datum.hpp"
#include "pg/guard.hpp"
#include "pg/spi.hpp"
#include "pg/sql_function.hpp"

namespace pgfast::paging {

namespace {

struct PageRow {
  CursorPosition key;
  Datum item;  // the row as jsonb, copied out of SPI
};

// The ranges "after `position` in `walk`" (seek_ranges), their parameters appended to `args`.
std::vector<std::string> seek_conditions(const ResolvedSource& source,
                                         const std::vector<OrderKey>& walk,
                                         const CursorPosition& position, pg::SpiArgs& args) {
  std::vector<SeekColumn> columns;
  for (size_t i = 0; i < walk.size(); ++i) {
    const pg::ColumnInfo& info = source.relation.require_column(walk[i].column, "order_by");
    SeekColumn c;
    c.key = walk[i];
    c.not_null = info.not_null;
    c.value_is_null = !position.values[i].has_value();
    if (!c.value_is_null) {
      c.param = args.add(info.type, pg::receive_binary(info.type, *position.values[i]));
    }
    columns.push_back(std::move(c));
  }
  return seek_ranges(columns, kAlias);
}

std::string key_select_list(const ResolvedSource& source) {
  std::string list;
  for (const OrderKey& k : source.order) {
    list += quote_identifier(kAlias) + "." + quote_identifier(k.column) + ", ";
  }
  return list;
}

// Rows strictly after `from` (if any) in `walk`, at most `limit`: the seek ranges read in turn,
// each as ORDER BY walk LIMIT <what is still missing>.
std::vector<PageRow> fetch(pg::SpiSession& spi, const ResolvedSource& source,
                           const std::vector<OrderKey>& walk,
                           const std::optional<CursorPosition>& from, long limit) {
  pg::SpiArgs args = source.filter_args;
  std::vector<std::string> ranges =
      from ? seek_conditions(source, walk, *from, args) : std::vector<std::string>{std::string()};
  std::vector<PageRow> rows;
  int keys = static_cast<int>(source.order.size());
  for (const std::string& range : ranges) {
    long missing = limit - static_cast<long>(rows.size());
    if (missing <= 0) break;
    std::string sql = "SELECT " + key_select_list(source) + "pg_catalog.to_jsonb(" +
                      quote_identifier(kAlias) + ".*)" +
                      from_where(source, {source.filter.condition, range}) + order_by_clause(walk) +
                      " LIMIT " + std::to_string(missing);
    spi.execute(sql, args, true);
    for (uint64_t r = 0; r < spi.rows(); ++r) {
      PageRow row;
      row.key.values = spi.binary_values(r, keys);
      row.item = spi.datum_copy(r, keys);
      rows.push_back(std::move(row));
    }
  }
  return rows;
}

// Whether any row lies strictly after `from` in `walk`: the first row of each range in the
// walk's own order (so LIMIT 1 is the first entry of the index range, never a scan for any row).
bool any_after(pg::SpiSession& spi, const ResolvedSource& source, const std::vector<OrderKey>& walk,
               const CursorPosition& from) {
  pg::SpiArgs args = source.filter_args;
  for (const std::string& range : seek_conditions(source, walk, from, args)) {
    spi.execute("SELECT 1" + from_where(source, {source.filter.condition, range}) +
                    order_by_clause(walk) + " LIMIT 1",
                args, true);
    if (spi.rows() > 0) return true;
  }
  return false;
}

// The page's parts. The jsonb is built by the caller, after SPI is finished: memory allocated
// while SPI is connected belongs to SPI and is freed by SPI_finish (the rows are copied out).
KeysetPageResult page_result(FunctionCallInfo fcinfo) {
  if (PG_ARGISNULL(0)) throw Error(sqlstate::kNullValueNotAllowed, "source must not be NULL");
  Oid relation = PG_GETARG_OID(0);
  std::optional<std::string> order_by;
  if (!PG_ARGISNULL(1)) order_by = pg::text_arg(fcinfo, 1);
  int page_size =
      resolve_page_size(PG_ARGISNULL(2), PG_ARGISNULL(2) ? 0 : PG_GETARG_INT32(2), "page_size");
  std::optional<std::string> after;
  std::optional<std::string> before;
  if (!PG_ARGISNULL(3)) after = pg::text_arg(fcinfo, 3);
  if (!PG_ARGISNULL(4)) before = pg::text_arg(fcinfo, 4);
  if (after && before) {
    throw Error(sqlstate::kInvalidParameterValue, "pass either after or before, not both");
  }
  bool filter_is_null = PG_ARGISNULL(5);
  Datum filter = filter_is_null ? static_cast<Datum>(0) : PG_GETARG_DATUM(5);

  pg::SpiSession spi;
  ResolvedSource source = resolve_source(spi, relation, order_by, filter, filter_is_null);
  Sha256Digest fingerprint =
      cursor_fingerprint(relation, canonical_order_by(source.order), source.filter.canonical);
  std::string secret = cursor_secret();
  std::optional<CursorPosition> position;
  if (after || before) {
    position = decode_cursor(after ? *after : *before, fingerprint, secret, source.order.size());
  }

  bool backward = before.has_value();
  std::vector<OrderKey> forward_walk = source.order;
  std::vector<OrderKey> backward_walk = reversed(source.order);
  const std::vector<OrderKey>& walk = backward ? backward_walk : forward_walk;
  const std::vector<OrderKey>& opposite = backward ? forward_walk : backward_walk;

  std::optional<pg::LocalSettings> plan_settings;
  if (source.filter.condition.empty() && order_has_index(relation, source.order)) {
    prefer_ordered_index_scans(plan_settings);
  }
  std::vector<PageRow> rows = fetch(spi, source, walk, position, page_size + 1L);
  bool more_ahead = rows.size() > static_cast<size_t>(page_size);
  if (more_ahead) rows.pop_back();
  // Behind the page: rows before its first row (or before the cursor when the page is empty).
  bool more_behind = false;
  if (position) {
    more_behind = any_after(spi, source, opposite, rows.empty() ? *position : rows.front().key);
  }
  if (plan_settings) plan_settings->restore();
  if (backward) std::reverse(rows.begin(), rows.end());
  bool has_next = backward ? more_behind : more_ahead;
  bool has_prev = backward ? more_ahead : more_behind;

  auto cursor = [&](bool wanted, const CursorPosition* at) -> std::optional<std::string> {
    if (!wanted || at == nullptr) return std::nullopt;
    return encode_cursor(*at, fingerprint, secret, cursor_form());
  };
  const CursorPosition* first =
      rows.empty() ? (position ? &*position : nullptr) : &rows.front().key;
  const CursorPosition* last = rows.empty() ? (position ? &*position : nullptr) : &rows.back().key;

  KeysetPageResult page;
  page.items.reserve(rows.size());
  for (const PageRow& r : rows) page.items.push_back(r.item);
  page.next_cursor = cursor(has_next, last);
  page.has_next = has_next;
  page.with_prev = true;
  page.prev_cursor = cursor(has_prev, first);
  page.has_prev = has_prev;
  page.page_size = page_size;
  return page;
}

}  // namespace

PGFAST_FUNCTION(pgfast_page) {
  return keyset_page_jsonb(page_result(fcinfo));
}

}  // namespace pgfast::paging
