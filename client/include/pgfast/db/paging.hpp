// Typed wrappers of the extension's pagination (DESIGN 4.2): pgfast.page (keyset, opaque
// cursors) and pgfast.offset_page (numbered pages with totals). Items come back as one JSON object
// text per row, in page order. Plain values; the functions borrow the connection for the call.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pgfast {

class Connection;

struct PageRequest {
  std::string source;                   // a table or view name, e.g. "public.search_results"
  std::optional<std::string> order_by;  // e.g. "created_at DESC"; empty: the primary key
  std::optional<int> page_size;         // empty: pgfast.page_size_default
  std::optional<std::string> after;     // next_cursor of the previous page
  std::optional<std::string> before;    // prev_cursor of the following page
  std::optional<std::string> filter;    // JSON object, e.g. {"session_id": 7}
};

struct KeysetPage {
  std::vector<std::string> items;
  std::optional<std::string> next_cursor;
  std::optional<std::string> prev_cursor;
  bool has_next = false;
  bool has_prev = false;
  int page_size = 0;
};

// How offset_page finds its total (the extension's `count` argument, docs/pagination.md).
enum class PageCount {
  exact,      // SELECT count(*) over the filtered relation (reads every matching row)
  estimated,  // the planner's row estimate, raised to the rows the page proved to exist
  none,       // no total: OffsetPage::total and pages are empty
};

struct OffsetPageRequest {
  std::string source;
  std::optional<std::string> order_by;
  int page = 1;
  std::optional<int> per_page;
  std::optional<std::string> filter;
  PageCount count = PageCount::exact;
};

struct OffsetPage {
  std::vector<std::string> items;
  std::optional<std::int64_t> total;  // empty with PageCount::none
  int page = 1;
  int per_page = 0;
  std::optional<std::int64_t> pages;  // empty with PageCount::none
  bool has_next = false;
  bool has_prev = false;
};

// One call of pgfast.page / pgfast.offset_page on `connection` (errors: DatabaseError subclasses,
// e.g. DataError 22023 for a tampered cursor).
KeysetPage page(Connection& connection, const PageRequest& request);
OffsetPage offset_page(Connection& connection, const OffsetPageRequest& request);

}  // namespace pgfast
