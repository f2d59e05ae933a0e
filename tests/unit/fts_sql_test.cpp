#include "core/fts_sql.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"

namespace {

const std::string kEnglish = "'english'::pg_catalog.regconfig";

TEST(FtsSql, OneColumnWithoutWeights) {
  EXPECT_EQ(pgfast::fts_document_sql({"title"}, {}, kEnglish),
            "pg_catalog.to_tsvector('english'::pg_catalog.regconfig, "
            "COALESCE(\"title\"::pg_catalog.text, ''))");
}

TEST(FtsSql, WeightedColumnsAreConcatenatedInOrder) {
  std::string sql = pgfast::fts_document_sql({"title", "Body"}, {'A', 'c'}, kEnglish);
  EXPECT_EQ(sql,
            "pg_catalog.setweight(pg_catalog.to_tsvector('english'::pg_catalog.regconfig, "
            "COALESCE(\"title\"::pg_catalog.text, '')), 'A') OPERATOR(pg_catalog.||) "
            "pg_catalog.setweight(pg_catalog.to_tsvector('english'::pg_catalog.regconfig, "
            "COALESCE(\"Body\"::pg_catalog.text, '')), 'C')");
}

TEST(FtsSql, ColumnNamesAreQuoted) {
  std::string sql = pgfast::fts_document_sql({"a\"b"}, {}, kEnglish);
  EXPECT_NE(sql.find("\"a\"\"b\""), std::string::npos);
}

TEST(FtsSql, BadWeightsAreRejected) {
  EXPECT_THROW(pgfast::fts_document_sql({"a", "b"}, {'A'}, kEnglish), pgfast::Error);
  EXPECT_THROW(pgfast::fts_document_sql({"a"}, {'E'}, kEnglish), pgfast::Error);
  EXPECT_THROW(pgfast::fts_document_sql({}, {}, kEnglish), pgfast::Error);
  try {
    pgfast::fts_document_sql({"a"}, {'x'}, kEnglish);
    FAIL();
  } catch (const pgfast::Error& e) {
    EXPECT_EQ(e.sqlstate(), "22023");
  }
}

TEST(FtsSql, QueryUsesParametersAndPrefixMarksLexemes) {
  EXPECT_EQ(pgfast::fts_query_sql(1, 2, false),
            "pg_catalog.websearch_to_tsquery($1::pg_catalog.regconfig, $2)");
  std::string prefix = pgfast::fts_query_sql(3, 4, true);
  EXPECT_NE(prefix.find("websearch_to_tsquery($3::pg_catalog.regconfig, $4)"), std::string::npos);
  EXPECT_NE(prefix.find(":*"), std::string::npos);
  EXPECT_NE(prefix.find("::pg_catalog.tsquery"), std::string::npos);
}

TEST(FtsSql, LiteralsDoubleQuotes) {
  EXPECT_EQ(pgfast::sql_literal("o'brien"), "'o''brien'");
  EXPECT_THROW(pgfast::sql_literal(std::string("a\0b", 3)), pgfast::Error);
}

TEST(FtsSql, HtmlHeadlineEscapesEverythingButTheMarkers) {
  std::string raw = std::string("<img src=x onerror=alert(1)> &amp; \"q\" it's ") +
                    pgfast::kHighlightStart + "fox" + pgfast::kHighlightStop + " <b>x</b>";
  EXPECT_EQ(pgfast::html_headline(raw),
            "&lt;img src=x onerror=alert(1)&gt; &amp;amp; &quot;q&quot; it&#39;s <b>fox</b> "
            "&lt;b&gt;x&lt;/b&gt;");
  EXPECT_EQ(pgfast::html_headline(""), "");
  EXPECT_EQ(pgfast::html_headline("caf\xc3\xa9"), "caf\xc3\xa9");  // other bytes kept as they are
}

TEST(FtsSql, HeadlineOptionsGetTheMarkersLast) {
  EXPECT_EQ(pgfast::headline_options_with_markers(""), "StartSel=\x01, StopSel=\x02");
  EXPECT_EQ(pgfast::headline_options_with_markers("MaxWords=20, StartSel=<i>"),
            "MaxWords=20, StartSel=<i>, StartSel=\x01, StopSel=\x02");
  try {
    pgfast::headline_options_with_markers("FragmentDelimiter=\x01");
    FAIL();
  } catch (const pgfast::Error& e) {
    EXPECT_EQ(e.sqlstate(), "22023");
  }
}

TEST(FtsSql, HeadlineSourceRemovesTheMarkers) {
  EXPECT_EQ(pgfast::headline_source_sql("x"),
            "pg_catalog.translate(x, pg_catalog.chr(1) OPERATOR(pg_catalog.||) pg_catalog.chr(2), "
            "'')");
}

}  // namespace
