#include "core/page_json.hpp"

#include "core/sql_text.hpp"

namespace pgfast {

namespace {

std::string json_bool(bool value) {
  return value ? "true" : "false";
}

std::string json_cursor(const std::optional<std::string>& cursor) {
  return cursor ? json_quote(*cursor) : "null";
}

}  // namespace

void append_json_array(std::string& out, const std::vector<std::string>& items) {
  out += '[';
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ", ";
    out += items[i];
  }
  out += ']';
}

std::string keyset_page_json(const KeysetPageText& page) {
  std::string json = "{\"items\": ";
  append_json_array(json, page.items);
  json += ", \"next_cursor\": " + json_cursor(page.next_cursor);
  if (page.with_prev) json += ", \"prev_cursor\": " + json_cursor(page.prev_cursor);
  json += ", \"has_next\": " + json_bool(page.has_next);
  if (page.with_prev) json += ", \"has_prev\": " + json_bool(page.has_prev);
  json += ", \"page_size\": " + std::to_string(page.page_size) + "}";
  return json;
}

}  // namespace pgfast
