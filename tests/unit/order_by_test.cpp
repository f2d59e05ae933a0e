// order_by parser (extension/core): accepted forms, defaults, identifier rules, every error with
// its SQLSTATE, the canonical text and the reversed order.
#include "core/order_by.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/error.hpp"

namespace {

using pgfast::OrderKey;
using pgfast::parse_order_by;

OrderKey key(std::string column, bool descending, bool nulls_first) {
  OrderKey k;
  k.column = std::move(column);
  k.descending = descending;
  k.nulls_first = nulls_first;
  return k;
}

// The error parse_order_by throws for `text`; a test failure if it throws none.
pgfast::Error parse_error(const std::string& text) {
  try {
    parse_order_by(text);
  } catch (const pgfast::Error& e) {
    return e;
  }
  ADD_FAILURE() << "no error for order_by: " << text;
  return pgfast::Error("XX000", "no error");
}

void expect_error(const std::string& text, const std::string& sqlstate,
                  const std::string& message) {
  SCOPED_TRACE("order_by: " + text);
  pgfast::Error e = parse_error(text);
  EXPECT_EQ(e.sqlstate(), sqlstate) << e.what();
  EXPECT_EQ(std::string(e.what()), message);
}

TEST(OrderBy, SingleColumnDefaultsToAscNullsLast) {
  EXPECT_EQ(parse_order_by("id"), std::vector<OrderKey>{key("id", false, false)});
}

TEST(OrderBy, DirectionsAndDefaultNullsPlacement) {
  EXPECT_EQ(parse_order_by("a ASC, b DESC"),
            (std::vector<OrderKey>{key("a", false, false), key("b", true, true)}));
}

TEST(OrderBy, ExplicitNullsOverrideDefaults) {
  EXPECT_EQ(parse_order_by("a ASC NULLS FIRST, b DESC NULLS LAST, c NULLS FIRST, d nulls last"),
            (std::vector<OrderKey>{key("a", false, true), key("b", true, false),
                                   key("c", false, true), key("d", false, false)}));
}

TEST(OrderBy, KeywordsAreCaseInsensitive) {
  EXPECT_EQ(parse_order_by("a desc nulls last, b Asc NuLlS fIrSt"),
            (std::vector<OrderKey>{key("a", true, false), key("b", false, true)}));
}

TEST(OrderBy, WhitespaceAnywhereBetweenTokens) {
  EXPECT_EQ(parse_order_by(" \t\r\n a\tDESC\nNULLS\rLAST \n,\tb \r\n"),
            (std::vector<OrderKey>{key("a", true, false), key("b", false, false)}));
  EXPECT_EQ(parse_order_by("a,b"),
            (std::vector<OrderKey>{key("a", false, false), key("b", false, false)}));
  EXPECT_EQ(parse_order_by("\"a\"DESC,\"b\""),
            (std::vector<OrderKey>{key("a", true, true), key("b", false, false)}));
}

TEST(OrderBy, UnquotedIdentifiersFoldToLowerCase) {
  EXPECT_EQ(parse_order_by("Created_At DESC")[0].column, "created_at");
  EXPECT_EQ(parse_order_by("ID")[0].column, "id");
  EXPECT_EQ(parse_order_by("_x$1")[0].column, "_x$1");
  EXPECT_EQ(parse_order_by("a1_B2")[0].column, "a1_b2");
}

TEST(OrderBy, QuotedIdentifiersAreKeptAsWritten) {
  EXPECT_EQ(parse_order_by("\"Mixed Case\" ASC NULLS FIRST"),
            std::vector<OrderKey>{key("Mixed Case", false, true)});
  EXPECT_EQ(parse_order_by("\"a\"\"b\"")[0].column, "a\"b");
  EXPECT_EQ(parse_order_by("\"\"\"\"")[0].column, "\"");
  EXPECT_EQ(parse_order_by("\"lower(name)\"")[0].column, "lower(name)");
  EXPECT_EQ(parse_order_by("\"a, b DESC\"")[0].column, "a, b DESC");
  EXPECT_EQ(parse_order_by("\"  \"")[0].column, "  ");
}

TEST(OrderBy, ReservedWordsAsColumnsMustBeQuoted) {
  EXPECT_EQ(parse_order_by("\"desc\" DESC, \"asc\", \"nulls\", \"first\", \"last\", \"DESC\""),
            (std::vector<OrderKey>{key("desc", true, true), key("asc", false, false),
                                   key("nulls", false, false), key("first", false, false),
                                   key("last", false, false), key("DESC", false, false)}));
  // Other SQL keywords are ordinary column names here.
  EXPECT_EQ(parse_order_by("select, FROM desc, order")[1], key("from", true, true));
  expect_error("desc", "42601",
               "invalid order_by: expected a column name, found keyword \"desc\" at position 1");
  expect_error("a, NULLS", "42601",
               "invalid order_by: expected a column name, found keyword \"NULLS\" at position 4");
  EXPECT_EQ(parse_error("Last").hint(), "Double-quote a column named last: \"last\".");
}

TEST(OrderBy, NonAsciiIdentifiers) {
  // UTF-8 bytes are identifier characters; only ASCII letters are folded.
  EXPECT_EQ(parse_order_by("Größe DESC")[0], key("größe", true, true));
  EXPECT_EQ(parse_order_by("ÉTÉ")[0].column, "ÉtÉ");
  EXPECT_EQ(parse_order_by("名前, \"Ärger\"")[1].column, "Ärger");
  EXPECT_EQ(parse_order_by("x€1")[0].column, "x€1");
}

TEST(OrderBy, LongestIdentifier) {
  std::string name(63, 'a');
  EXPECT_EQ(parse_order_by(name)[0].column, name);
  EXPECT_EQ(parse_order_by("\"" + name + "\"")[0].column, name);
  EXPECT_EQ(parse_error(name + "a").sqlstate(), "42622");
  EXPECT_EQ(parse_error("\"" + name + "a\"").sqlstate(), "42622");
}

TEST(OrderBy, EmptyIsInvalidParameterValue) {
  for (std::string text : {"", " ", "\t\r\n  "}) {
    expect_error(text, "22023", "invalid order_by: it is empty");
  }
}

TEST(OrderBy, DuplicateColumns) {
  expect_error("a, b, a DESC", "22023", "column \"a\" appears twice in order_by");
  expect_error("ID, id", "22023", "column \"id\" appears twice in order_by");
  expect_error("\"id\", Id", "22023", "column \"id\" appears twice in order_by");
  // Different stored names are different columns.
  EXPECT_EQ(parse_order_by("\"Id\", id").size(), 2u);
}

TEST(OrderBy, SyntaxErrorsNameTheProblemAndPosition) {
  expect_error("created_at(", "42601",
               "invalid order_by: expected ASC, DESC, NULLS or \",\", found \"(\" at position 11");
  expect_error("lower(name)", "42601",
               "invalid order_by: expected ASC, DESC, NULLS or \",\", found \"(\" at position 6");
  expect_error("a DESC DESC", "42601",
               "invalid order_by: expected NULLS or \",\", found \"DESC\" at position 8");
  expect_error("a NULLS", "42601",
               "invalid order_by: expected FIRST or LAST after NULLS, found end of input at "
               "position 8");
  expect_error("a NULLS LAST LAST", "42601",
               "invalid order_by: expected \",\", found \"LAST\" at position 14");
  expect_error("a NULLS b", "42601",
               "invalid order_by: expected FIRST or LAST after NULLS, found \"b\" at position 9");
  expect_error("a,", "42601",
               "invalid order_by: expected a column name, found end of input at position 3");
  expect_error("a, , b", "42601",
               "invalid order_by: expected a column name, found \",\" at position 4");
  expect_error(", a", "42601",
               "invalid order_by: expected a column name, found \",\" at position 1");
  expect_error("a b", "42601",
               "invalid order_by: expected ASC, DESC, NULLS or \",\", found \"b\" at position 3");
  expect_error("1", "42601", "invalid order_by: expected a column name, found \"1\" at position 1");
  expect_error("a + b", "42601",
               "invalid order_by: expected ASC, DESC, NULLS or \",\", found \"+\" at position 3");
  expect_error("a; DROP TABLE t", "42601",
               "invalid order_by: expected ASC, DESC, NULLS or \",\", found \";\" at position 2");
  expect_error("a COLLATE \"C\"", "42601",
               "invalid order_by: expected ASC, DESC, NULLS or \",\", found \"COLLATE\" at "
               "position 3");
  expect_error(
      "a USING <", "42601",
      "invalid order_by: expected ASC, DESC, NULLS or \",\", found \"USING\" at position 3");
  expect_error("s.a", "42601",
               "invalid order_by: expected ASC, DESC, NULLS or \",\", found \".\" at position 2");
  expect_error("a -- comment", "42601",
               "invalid order_by: expected ASC, DESC, NULLS or \",\", found \"-\" at position 3");
  expect_error(
      "\"a\" \"b\"", "42601",
      "invalid order_by: expected ASC, DESC, NULLS or \",\", found \"\"b\"\" at position 5");
  expect_error("$1", "42601",
               "invalid order_by: expected a column name, found \"$\" at position 1");
  expect_error(
      "a\v", "42601",
      "invalid order_by: expected ASC, DESC, NULLS or \",\", found byte 0x0B at position 2");
  expect_error(
      std::string("a\0b", 3), "42601",
      "invalid order_by: expected ASC, DESC, NULLS or \",\", found byte 0x00 at position 2");
}

TEST(OrderBy, LongTokensAreCutShortInMessages) {
  std::string text = "a " + std::string(100, 'x');
  pgfast::Error e = parse_error(text);
  EXPECT_EQ(std::string(e.what()),
            "invalid order_by: expected ASC, DESC, NULLS or \",\", found \"" +
                std::string(40, 'x') + "...\" at position 3");
}

TEST(OrderBy, QuotedIdentifierErrors) {
  expect_error("\"abc", "42601",
               "invalid order_by: unterminated quoted identifier starting at position 1");
  expect_error("a, \"b\"\"", "42601",
               "invalid order_by: unterminated quoted identifier starting at position 4");
  expect_error("\"\"", "42601", "invalid order_by: zero-length quoted identifier at position 1");
  expect_error("a, \"\" DESC", "42601",
               "invalid order_by: zero-length quoted identifier at position 4");
  expect_error(std::string("\"a\0b\"", 5), "42601",
               "invalid order_by: NUL byte in a quoted identifier at position 3");
}

TEST(OrderBy, HintOnSyntaxErrors) {
  EXPECT_NE(parse_error("a,").hint().find("column names only"), std::string::npos);
  EXPECT_NE(parse_error("").hint().find("NULL"), std::string::npos);
}

TEST(OrderBy, CanonicalForm) {
  EXPECT_EQ(pgfast::canonical_order_by(parse_order_by("created_at DESC, id")),
            "\"created_at\" DESC NULLS FIRST, \"id\" ASC NULLS LAST");
  EXPECT_EQ(pgfast::canonical_order_by(parse_order_by("\"We\"\"ird\" nulls first")),
            "\"We\"\"ird\" ASC NULLS FIRST");
  EXPECT_EQ(pgfast::canonical_order_by({}), "");
}

TEST(OrderBy, EquivalentSpellingsShareTheCanonicalForm) {
  std::string canonical = pgfast::canonical_order_by(parse_order_by("created_at DESC, id"));
  for (const char* text : {"Created_At desc nulls first, ID asc nulls last",
                           "\"created_at\" DESC NULLS FIRST,\"id\" ASC NULLS LAST",
                           "  created_at\tDESC ,\n id  ASC"}) {
    EXPECT_EQ(pgfast::canonical_order_by(parse_order_by(text)), canonical) << text;
  }
}

TEST(OrderBy, CanonicalFormParsesBackToTheSameKeys) {
  for (const char* text :
       {"a", "a DESC, \"B c\" NULLS FIRST", "\"x\"\"y\" DESC NULLS LAST, z", "größe, \"desc\""}) {
    auto keys = parse_order_by(text);
    EXPECT_EQ(parse_order_by(pgfast::canonical_order_by(keys)), keys) << text;
  }
}

TEST(OrderBy, Reversed) {
  auto keys = parse_order_by("a, b DESC, c ASC NULLS FIRST, d DESC NULLS LAST");
  EXPECT_EQ(pgfast::reversed(keys),
            (std::vector<OrderKey>{key("a", true, true), key("b", false, false),
                                   key("c", true, false), key("d", false, true)}));
  EXPECT_EQ(pgfast::reversed(pgfast::reversed(keys)), keys);
  EXPECT_EQ(pgfast::canonical_order_by(pgfast::reversed(parse_order_by("created_at DESC, id"))),
            "\"created_at\" ASC NULLS LAST, \"id\" DESC NULLS FIRST");
  EXPECT_TRUE(pgfast::reversed({}).empty());
}

TEST(OrderBy, LengthAndColumnCountAreBounded) {
  std::string longest;
  for (size_t i = 0; i < pgfast::kMaxOrderByColumns; ++i) {
    longest += (i ? ", c" : "c") + std::to_string(i);
  }
  EXPECT_EQ(parse_order_by(longest).size(), pgfast::kMaxOrderByColumns);
  expect_error(longest + ", extra", "54000", "order_by names more than 32 columns");
  std::string padded = "id" + std::string(pgfast::kMaxOrderByBytes, ' ');
  expect_error(padded, "54000", "order_by is 8194 bytes long, at most 8192 are allowed");
  EXPECT_EQ(parse_order_by("id" + std::string(pgfast::kMaxOrderByBytes - 2, ' ')).size(), 1u);
}

}  // namespace
