// core/page_json: the JSON text of keyset pages (pgfast.page, pgfast.fts_search).
#include "core/page_json.hpp"

#include <gtest/gtest.h>

namespace {

TEST(PageJson, ArrayOfItemTexts) {
  std::string out = "x";
  pgfast::append_json_array(out, {});
  pgfast::append_json_array(out, {"1", "{\"a\": 2}"});
  EXPECT_EQ(out, "x[][1, {\"a\": 2}]");
}

TEST(PageJson, ForwardOnlyPage) {
  pgfast::KeysetPageText page;
  page.items = {"{\"id\": 1}"};
  page.next_cursor = "ab\"c";
  page.has_next = true;
  page.page_size = 20;
  EXPECT_EQ(pgfast::keyset_page_json(page),
            "{\"items\": [{\"id\": 1}], \"next_cursor\": \"ab\\\"c\", \"has_next\": true, "
            "\"page_size\": 20}");
}

TEST(PageJson, PageBothWays) {
  pgfast::KeysetPageText page;
  page.with_prev = true;
  page.prev_cursor = "p";
  page.has_prev = true;
  page.page_size = 5;
  EXPECT_EQ(pgfast::keyset_page_json(page),
            "{\"items\": [], \"next_cursor\": null, \"prev_cursor\": \"p\", \"has_next\": false, "
            "\"has_prev\": true, \"page_size\": 5}");
}

}  // namespace
