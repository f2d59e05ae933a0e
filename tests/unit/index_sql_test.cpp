// Index definition SQL text (extension/core/index_sql): the CREATE INDEX statement, the probes and
// the default-name pieces.
#include "core/index_sql.hpp"

#include <gtest/gtest.h>

#include <string>

#include "core/error.hpp"

namespace {

using pgfast::index_sql::IndexDefinition;

TEST(IndexSql, CreateIndexQuotesEveryIdentifier) {
  IndexDefinition d;
  d.elements = {"lower(email) DESC", "\"Id\""};
  d.include = {"Name", "x\"y"};
  d.where = "active";
  d.method = "btree";
  EXPECT_EQ(pgfast::index_sql::create_index(d, "my schema", "t", "t_idx"),
            "CREATE INDEX \"t_idx\" ON \"my schema\".\"t\" USING \"btree\" (lower(email) DESC, "
            "\"Id\") INCLUDE (\"Name\", \"x\"\"y\") WHERE (active)");
}

TEST(IndexSql, CreateIndexUniqueConcurrentlyWithoutName) {
  IndexDefinition d;
  d.elements = {"a"};
  d.method = "hash";
  d.unique = true;
  d.concurrently = true;
  EXPECT_EQ(pgfast::index_sql::create_index(d, "s", "t", ""),
            "CREATE UNIQUE INDEX CONCURRENTLY ON \"s\".\"t\" USING \"hash\" (a)");
}

TEST(IndexSql, CreateIndexRejectsAnEmptySchema) {
  IndexDefinition d;
  d.elements = {"a"};
  EXPECT_THROW(pgfast::index_sql::create_index(d, "", "t", ""), pgfast::Error);
}

TEST(IndexSql, RequireElements) {
  IndexDefinition d;
  try {
    pgfast::index_sql::require_elements(d);
    FAIL() << "no error";
  } catch (const pgfast::Error& e) {
    EXPECT_EQ(e.sqlstate(), pgfast::sqlstate::kInvalidParameterValue);
    EXPECT_NE(std::string(e.what()).find("at least one column"), std::string::npos);
  }
  d.elements = {"a"};
  EXPECT_NO_THROW(pgfast::index_sql::require_elements(d));
}

TEST(IndexSql, ProbesHoldThePieceAlone) {
  EXPECT_EQ(pgfast::index_sql::element_probe("a DESC"), "CREATE INDEX ON x (a DESC)");
  EXPECT_EQ(pgfast::index_sql::where_probe("a > 1"), "CREATE INDEX ON x (y) WHERE (a > 1)");
  EXPECT_EQ(pgfast::index_sql::expression_probe("lower(a)"), "CREATE INDEX ON x ((lower(a)))");
}

TEST(IndexSql, NameColumnsJoinsUpToTheLimit) {
  EXPECT_EQ(pgfast::index_sql::name_columns({"a", "lower", "expr"}, 64), "a_lower_expr");
  EXPECT_EQ(pgfast::index_sql::name_columns({}, 64), "");
  // The part that reaches the limit is the last one taken.
  EXPECT_EQ(pgfast::index_sql::name_columns({"abc", "de", "f"}, 5), "abc_de");
  EXPECT_EQ(pgfast::index_sql::name_columns({"abcdef", "g"}, 5), "abcdef");
}

TEST(IndexSql, NameLabel) {
  EXPECT_EQ(pgfast::index_sql::name_label(false, 0), "idx");
  EXPECT_EQ(pgfast::index_sql::name_label(true, 0), "key");
  EXPECT_EQ(pgfast::index_sql::name_label(false, 2), "idx2");
}

}  // namespace
