#include "paging/page_result.hpp"

#include "pg/jsonb_builder.hpp"

namespace pgfast::paging {

namespace {

void cursor(pg::JsonbBuilder& out, const char* name, const std::optional<std::string>& value) {
  out.key(name);
  if (value) {
    out.string(*value);
  } else {
    out.null();
  }
}

}  // namespace

Datum keyset_page_jsonb(const KeysetPageResult& page) {
  pg::JsonbBuilder out;
  out.begin_object();
  out.key("items");
  out.begin_array();
  for (Datum item : page.items) out.jsonb(item);
  out.end_array();
  cursor(out, "next_cursor", page.next_cursor);
  if (page.with_prev) cursor(out, "prev_cursor", page.prev_cursor);
  out.key("has_next");
  out.boolean(page.has_next);
  if (page.with_prev) {
    out.key("has_prev");
    out.boolean(page.has_prev);
  }
  out.key("page_size");
  out.number(page.page_size);
  out.end_object();
  return out.finish();
}

}  // namespace pgfast::paging
