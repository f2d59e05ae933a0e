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

namespace {

pgfast::FtsSearchQuery simple_search() {
  pgfast::FtsSearchQuery q;
  q.table = "\"public\".\"docs\"";
  q.key_columns = {"id"};
  q.text_columns = {"title", "body"};
  q.match = "M";
  q.tsquery = "Q";
  q.page_size = 10;
  return q;
}

TEST(FtsSearchSql, BuildsTheWholeStatement) {
  const std::string hits =
      "SELECT t.\"id\", pg_catalog.ts_rank(M, Q, 0) FROM \"public\".\"docs\" t WHERE M "
      "OPERATOR(pg_catalog.@@) Q OFFSET 0";
  const std::string page = "SELECT h.* FROM (" + hits +
                           ") h(\"k1\", \"rank\") ORDER BY h.\"rank\" DESC, h.\"k1\" LIMIT 11";
  EXPECT_EQ(pgfast::fts_search_sql(simple_search()),
            "SELECT p.\"rank\", p.\"k1\", pg_catalog.to_jsonb(r.*), "
            "pg_catalog.to_jsonb(p.\"rank\"), NULL::pg_catalog.text FROM (SELECT "
            "q.*, pg_catalog.row_number() OVER ( ORDER BY q.\"rank\" DESC, q.\"k1\") AS \"n\" "
            "FROM (" +
                page + ") q) p JOIN \"public\".\"docs\" r ON r.\"id\" = p.\"k1\" ORDER BY p.\"n\"");
}

TEST(FtsSearchSql, SeekHeadlineRankAndExcludedColumn) {
  pgfast::FtsSearchQuery q = simple_search();
  q.key_columns = {"a", "we\"ird"};
  q.seek = "S";
  q.cover_density = true;
  q.normalization = 32;
  q.headline = pgfast::FtsHeadline::kRaw;
  q.config_param = 1;
  q.headline_options_param = 3;
  q.excluded_column_param = 4;
  const std::string sql = pgfast::fts_search_sql(q);
  EXPECT_NE(sql.find("SELECT t.\"a\", t.\"we\"\"ird\", pg_catalog.ts_rank_cd(M, Q, 32) FROM"),
            std::string::npos)
      << sql;
  EXPECT_NE(sql.find(") h(\"k1\", \"k2\", \"rank\") WHERE S ORDER BY h.\"rank\" DESC, h.\"k1\", "
                     "h.\"k2\" LIMIT 11"),
            std::string::npos)
      << sql;
  EXPECT_NE(sql.find("CASE WHEN p.\"n\" <= 10 THEN pg_catalog.ts_headline($1::pg_catalog."
                     "regconfig, pg_catalog.concat_ws(' ', r.\"title\"::pg_catalog.text, "
                     "r.\"body\"::pg_catalog.text), Q, $3) END"),
            std::string::npos)
      << sql;
  EXPECT_NE(sql.find("(pg_catalog.to_jsonb(r.*) OPERATOR(pg_catalog.-) $4), "
                     "pg_catalog.to_jsonb(p.\"rank\"), CASE"),
            std::string::npos)
      << sql;
  EXPECT_NE(sql.find(" r ON r.\"a\" = p.\"k1\" AND r.\"we\"\"ird\" = p.\"k2\" ORDER BY"),
            std::string::npos)
      << sql;
}

TEST(FtsSearchSql, HtmlHeadlineStripsTheMarkersFromTheText) {
  pgfast::FtsSearchQuery q = simple_search();
  q.headline = pgfast::FtsHeadline::kHtml;
  q.config_param = 1;
  q.headline_options_param = 3;
  const std::string source = pgfast::headline_source_sql(
      "pg_catalog.concat_ws(' ', r.\"title\"::pg_catalog.text, r.\"body\"::pg_catalog.text)");
  EXPECT_NE(pgfast::fts_search_sql(q).find("ts_headline($1::pg_catalog.regconfig, " + source +
                                           ", Q, $3)"),
            std::string::npos);
}

TEST(FtsSearchSql, KeyAliasesAndRank) {
  EXPECT_EQ(pgfast::fts_key_alias(0), "k1");
  EXPECT_EQ(pgfast::fts_key_alias(11), "k12");
  pgfast::FtsSearchQuery q = simple_search();
  EXPECT_EQ(pgfast::fts_rank_sql(q), "pg_catalog.ts_rank(M, Q, 0)");
  q.key_columns.clear();
  EXPECT_THROW(pgfast::fts_search_sql(q), pgfast::Error);
}

}  // namespace
