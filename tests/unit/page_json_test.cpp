// core/page_json: the items array of pgfast.offset_page.
#include "core/page_json.hpp"

#include <gtest/gtest.h>

namespace {

TEST(PageJson, ArrayOfItemTexts) {
  std::string out = "x";
  pgfast::append_json_array(out, {});
  pgfast::append_json_array(out, {"1", "{\"a\": 2}"});
  EXPECT_EQ(out, "x[][1, {\"a\": 2}]");
}

}  // namespace
