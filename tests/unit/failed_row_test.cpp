// Where the server names a bulk call's failing row: the DETAIL line the extension writes
// (extension/core/row_error.hpp) read back by the client (client/src/bulk/failed_row.hpp), and
// COPY's error context. Both ends are tested against each other here: the contract of docs/bulk.md.
#include "bulk/failed_row.hpp"

#include <gtest/gtest.h>

#include "core/row_error.hpp"

namespace {

using pgfast::failed_row_from_copy_context;
using pgfast::failed_row_from_detail;

TEST(RowDetail, LeadsWithRowAndQuotedColumnThenTheOriginalDetail) {
  EXPECT_EQ(pgfast::row_detail(7), "pgfast.row=7");
  EXPECT_EQ(pgfast::row_detail(7, "id"), "pgfast.row=7 pgfast.column=\"id\"");
  EXPECT_EQ(pgfast::row_detail(7, "a\"b", "Token is invalid."),
            "pgfast.row=7 pgfast.column=\"a\"\"b\"\nToken is invalid.");
  pgfast::Error e = pgfast::row_error("22P02", "invalid input", 3, "n", "why", "hint");
  EXPECT_EQ(e.sqlstate(), "22P02");
  EXPECT_STREQ(e.what(), "invalid input");
  EXPECT_EQ(e.detail(), "pgfast.row=3 pgfast.column=\"n\"\nwhy");
  EXPECT_EQ(e.hint(), "hint");
}

TEST(FailedRowFromDetail, ReadsWhatTheExtensionWrites) {
  for (const std::string column : {"", "id", "a\"b", "with space", "line\nbreak", "\"\""}) {
    for (const std::string detail : {"", "Token \"x\" is invalid.", "two\nlines"}) {
      pgfast::FailedRow f = failed_row_from_detail(pgfast::row_detail(123456, column, detail));
      ASSERT_TRUE(f.row.has_value()) << column << " / " << detail;
      EXPECT_EQ(*f.row, 123456u);
      if (column.empty()) {
        EXPECT_FALSE(f.column.has_value());
      } else {
        ASSERT_TRUE(f.column.has_value());
        EXPECT_EQ(*f.column, column);
      }
    }
  }
}

TEST(FailedRowFromDetail, IgnoresTheMessageWordingAndAnythingButTheFirstLine) {
  EXPECT_FALSE(failed_row_from_detail("").row);
  EXPECT_FALSE(failed_row_from_detail("source[7] is bad").row);
  EXPECT_FALSE(failed_row_from_detail("see below\npgfast.row=3").row);
  EXPECT_FALSE(failed_row_from_detail("pgfast.row=").row);
  EXPECT_FALSE(failed_row_from_detail("pgfast.row=0").row);
  EXPECT_FALSE(failed_row_from_detail("pgfast.row=3x").row);
  EXPECT_FALSE(failed_row_from_detail("pgfast.row=99999999999999999999999").row);
  EXPECT_FALSE(failed_row_from_detail("pgfast.row=3 pgfast.column=\"unterminated").row);
  EXPECT_FALSE(failed_row_from_detail("pgfast.row=3 pgfast.column=unquoted").row);
  EXPECT_EQ(failed_row_from_detail("pgfast.row=3\nsource[7]").row, 3u);
}

TEST(FailedRowFromCopyContext, ReadsTheLineOfTheTargetsCopy) {
  pgfast::FailedRow f = failed_row_from_copy_context("COPY items, line 2", "items");
  EXPECT_EQ(f.row, 2u);
  EXPECT_FALSE(f.column.has_value());
  f = failed_row_from_copy_context("COPY items, line 17, column score", "items");
  EXPECT_EQ(f.row, 17u);
  EXPECT_EQ(f.column, "score");
  // Another COPY's line (a trigger's COPY, say) or another relation's does not count.
  f = failed_row_from_copy_context(
      "PL/pgSQL function f() line 3 at RAISE\nCOPY other, line 9\nCOPY items, line 4", "items");
  EXPECT_EQ(f.row, 4u);
  EXPECT_FALSE(failed_row_from_copy_context("COPY items2, line 4", "items").row);
  EXPECT_FALSE(failed_row_from_copy_context("COPY items, line x", "items").row);
  EXPECT_FALSE(failed_row_from_copy_context("", "items").row);
}

}  // namespace
