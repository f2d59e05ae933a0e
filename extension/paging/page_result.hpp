// The jsonb pgfast.page and pgfast.fts_search return, built once as jsonb (pg::JsonbBuilder) from
// the rows' own jsonb values: {"items": [...], "next_cursor": "..." | null, "has_next": ...,
// "page_size": N}, and for pgfast.page (which walks both ways) "prev_cursor" and "has_prev" too.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "pg/postgres.hpp"

namespace pgfast::paging {

struct KeysetPageResult {
  std::vector<Datum> items;                // jsonb Datums, outliving any SPI session
  std::optional<std::string> next_cursor;  // the encoded cursor; nullopt: null
  bool has_next = false;
  bool with_prev = false;
  std::optional<std::string> prev_cursor;
  bool has_prev = false;
  int page_size = 0;
};

// The page as one jsonb Datum, in the current memory context (call it after SPI is finished).
Datum keyset_page_jsonb(const KeysetPageResult& page);

}  // namespace pgfast::paging
