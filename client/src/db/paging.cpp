#include "pgfast/db/paging.hpp"

#include "pgfast/db/connection.hpp"
#include "pgfast/db/params.hpp"
#include "pgfast/db/result.hpp"

namespace pgfast {

namespace {

// One row per item (a single row with a NULL item for an empty page), metadata repeated.
constexpr char kPageSql[] =
    "SELECT p ->> 'next_cursor', p ->> 'prev_cursor', (p ->> 'has_next')::bool, "
    "(p ->> 'has_prev')::bool, (p ->> 'page_size')::int, e.item::text "
    "FROM pgfast.page($1::regclass, $2, $3, $4, $5, $6::jsonb) p "
    "LEFT JOIN LATERAL jsonb_array_elements(p -> 'items') WITH ORDINALITY AS e(item, ord) ON true "
    "ORDER BY e.ord";

constexpr char kOffsetPageSql[] =
    "SELECT (p ->> 'total')::bigint, (p ->> 'page')::int, (p ->> 'per_page')::int, "
    "(p ->> 'pages')::bigint, (p ->> 'has_next')::bool, (p ->> 'has_prev')::bool, e.item::text "
    "FROM pgfast.offset_page($1::regclass, $2, $3, $4, $5::jsonb, $6) p "
    "LEFT JOIN LATERAL jsonb_array_elements(p -> 'items') WITH ORDINALITY AS e(item, ord) ON true "
    "ORDER BY e.ord";

const char* count_argument(PageCount count) {
  switch (count) {
    case PageCount::exact:
      return "exact";
    case PageCount::estimated:
      return "estimated";
    case PageCount::none:
      return "none";
  }
  return "exact";
}

void collect_items(const Result& r, int column, std::vector<std::string>& items) {
  for (int row = 0; row < r.rows(); ++row) {
    if (!r.is_null(row, column)) items.emplace_back(r.get(row, column));
  }
}

}  // namespace

KeysetPage page(Connection& connection, const PageRequest& request) {
  Result r = connection.execute_prepared(
      kPageSql, params(request.source, request.order_by, request.page_size, request.after,
                       request.before, request.filter));
  KeysetPage page;
  page.next_cursor = r.get_optional(0, 0);
  page.prev_cursor = r.get_optional(0, 1);
  page.has_next = r.as<bool>(0, 2);
  page.has_prev = r.as<bool>(0, 3);
  page.page_size = r.as<int>(0, 4);
  collect_items(r, 5, page.items);
  return page;
}

OffsetPage offset_page(Connection& connection, const OffsetPageRequest& request) {
  Result r = connection.execute_prepared(
      kOffsetPageSql, params(request.source, request.order_by, request.page, request.per_page,
                             request.filter, count_argument(request.count)));
  OffsetPage page;
  page.total = r.as<std::optional<std::int64_t>>(0, 0);
  page.page = r.as<int>(0, 1);
  page.per_page = r.as<int>(0, 2);
  page.pages = r.as<std::optional<std::int64_t>>(0, 3);
  page.has_next = r.as<bool>(0, 4);
  page.has_prev = r.as<bool>(0, 5);
  collect_items(r, 6, page.items);
  return page;
}

}  // namespace pgfast
