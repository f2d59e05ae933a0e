// SQL text helpers (extension/core): identifier quoting and JSON string literals.
#include "core/sql_text.hpp"

#include <gtest/gtest.h>

#include <string>

#include "core/error.hpp"

namespace {

using pgfast::json_quote;
using pgfast::quote_identifier;

TEST(SqlText, QuoteIdentifierAlwaysQuotes) {
  EXPECT_EQ(quote_identifier("id"), "\"id\"");
  EXPECT_EQ(quote_identifier("Mixed Case"), "\"Mixed Case\"");
  EXPECT_EQ(quote_identifier("select"), "\"select\"");
  EXPECT_EQ(quote_identifier("größe"), "\"größe\"");
  EXPECT_EQ(quote_identifier(" "), "\" \"");
}

TEST(SqlText, QuoteIdentifierDoublesQuotes) {
  EXPECT_EQ(quote_identifier("a\"b"), "\"a\"\"b\"");
  EXPECT_EQ(quote_identifier("\""), "\"\"\"\"");
  EXPECT_EQ(quote_identifier("x\"; DROP TABLE t; --"), "\"x\"\"; DROP TABLE t; --\"");
}

TEST(SqlText, QuoteIdentifierRejectsEmptyAndNul) {
  for (std::string bad : {std::string(), std::string("a\0b", 3), std::string(1, '\0')}) {
    try {
      quote_identifier(bad);
      ADD_FAILURE() << "accepted a bad identifier of " << bad.size() << " bytes";
    } catch (const pgfast::Error& e) {
      EXPECT_EQ(e.sqlstate(), "22023");
      EXPECT_EQ(std::string(e.what()).rfind("invalid identifier: ", 0), 0u) << e.what();
    }
  }
}

TEST(SqlText, QuoteQualified) {
  EXPECT_EQ(pgfast::quote_qualified("public", "t"), "\"public\".\"t\"");
  EXPECT_EQ(pgfast::quote_qualified("My\"Schema", "a.b"), "\"My\"\"Schema\".\"a.b\"");
  EXPECT_THROW(pgfast::quote_qualified("", "t"), pgfast::Error);
  EXPECT_THROW(pgfast::quote_qualified("s", ""), pgfast::Error);
}

TEST(SqlText, JsonQuotePlainText) {
  EXPECT_EQ(json_quote(""), "\"\"");
  EXPECT_EQ(json_quote("hello"), "\"hello\"");
  EXPECT_EQ(json_quote("a/b"), "\"a/b\"");
}

TEST(SqlText, JsonQuoteEscapes) {
  EXPECT_EQ(json_quote("\"q\""), "\"\\\"q\\\"\"");
  EXPECT_EQ(json_quote("back\\slash"), "\"back\\\\slash\"");
  EXPECT_EQ(json_quote("\b\f\n\r\t"), "\"\\b\\f\\n\\r\\t\"");
  EXPECT_EQ(json_quote(std::string("\0", 1)), "\"\\u0000\"");
  EXPECT_EQ(json_quote("\x01\x1f\x0b"), "\"\\u0001\\u001f\\u000b\"");
}

TEST(SqlText, JsonQuoteEveryControlCharacter) {
  for (int c = 0; c < 0x20; ++c) {
    std::string out = json_quote(std::string(1, static_cast<char>(c)));
    ASSERT_GE(out.size(), 4u);
    EXPECT_EQ(out[1], '\\') << c;
    for (char o : out) EXPECT_GE(static_cast<unsigned char>(o), 0x20) << c;
  }
}

TEST(SqlText, JsonQuoteCopiesDelAndNonAscii) {
  EXPECT_EQ(json_quote("\x7f"), "\"\x7f\"");
  EXPECT_EQ(json_quote("größe €"), "\"größe €\"");
  EXPECT_EQ(json_quote("\xff\xfe"), "\"\xff\xfe\"");
}

}  // namespace
