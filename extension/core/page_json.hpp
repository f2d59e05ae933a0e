// The JSON text of the pages pgfast returns (pure C++, unit-tested): one home for the tail that
// pgfast.page and pgfast.fts_search share, and the items array pgfast.offset_page shares too.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace pgfast {

// `items` (each a JSON value's text) as a JSON array appended to `out`.
void append_json_array(std::string& out, const std::vector<std::string>& items);

// A keyset page: {"items": [...], "next_cursor": "..." | null, "has_next": ..., "page_size": N},
// and with `with_prev` (pgfast.page, which walks both ways) "prev_cursor" and "has_prev" too.
struct KeysetPageText {
  std::vector<std::string> items;
  std::optional<std::string> next_cursor;  // the encoded cursor; nullopt: null
  bool has_next = false;
  bool with_prev = false;
  std::optional<std::string> prev_cursor;
  bool has_prev = false;
  int page_size = 0;
};

std::string keyset_page_json(const KeysetPageText& page);

}  // namespace pgfast
