// SQL text of the bulk operations (extension/core/bulk_sql.cpp).
#include "core/bulk_sql.hpp"

#include <gtest/gtest.h>

namespace {

using namespace pgfast::bulk_sql;

const Tables kTables{"\"public\".\"items\"", "pg_temp.\"pgfast_stage_1\""};

TEST(BulkSql, KeyJoinQuotesEveryColumn) {
  EXPECT_EQ(key_join({"id"}), "\"t\".\"id\" = \"s\".\"id\"");
  EXPECT_EQ(key_join({"a", "B c"}), "\"t\".\"a\" = \"s\".\"a\" AND \"t\".\"B c\" = \"s\".\"B c\"");
}

TEST(BulkSql, HostileNamesStayIdentifiers) {
  std::string sql = update_from_stage(kTables, {"id\"; DROP TABLE x; --"}, {"na'me"}, true);
  EXPECT_NE(sql.find("\"id\"\"; DROP TABLE x; --\""), std::string::npos) << sql;
  EXPECT_NE(sql.find("\"na'me\" = \"s\".\"na'me\""), std::string::npos) << sql;
  // Key objects are built from output column names, never from string literals.
  std::string json = key_json({"it's"});
  EXPECT_EQ(json.find('\''), json.find("\"s\".\"it's\"") + 7) << json;
  EXPECT_EQ(json.find('\''), json.rfind('\'')) << json;
}

TEST(BulkSql, AnyDuplicateCountsDistinctForOneSortableKeyElseGroups) {
  EXPECT_EQ(any_duplicate(kTables, {"id"}, true),
            "SELECT 1 FROM pg_temp.\"pgfast_stage_1\" \"s\" HAVING count(*) > count(DISTINCT "
            "\"s\".\"id\")");
  EXPECT_EQ(any_duplicate(kTables, {"a", "b"}, true),
            "SELECT 1 FROM pg_temp.\"pgfast_stage_1\" \"s\" GROUP BY \"s\".\"a\", \"s\".\"b\" "
            "HAVING count(*) > 1 LIMIT 1");
  EXPECT_EQ(any_duplicate(kTables, {"url"}, false),
            "SELECT 1 FROM pg_temp.\"pgfast_stage_1\" \"s\" GROUP BY \"s\".\"url\" HAVING "
            "count(*) > 1 LIMIT 1");
}

TEST(BulkSql, LockExistingOrdersByKeyAndLocksTarget) {
  EXPECT_EQ(
      lock_existing(kTables, {"a", "b"}),
      "SELECT \"s\".ord FROM \"public\".\"items\" \"t\" JOIN pg_temp.\"pgfast_stage_1\" "
      "\"s\" ON \"t\".\"a\" = \"s\".\"a\" AND \"t\".\"b\" = \"s\".\"b\" ORDER BY \"t\".\"a\", "
      "\"t\".\"b\" FOR UPDATE OF \"t\"");
}

TEST(BulkSql, UpdateOnlyChangedRows) {
  EXPECT_EQ(update_from_stage(kTables, {"id"}, {"name", "qty"}, true),
            "UPDATE \"public\".\"items\" \"t\" SET \"name\" = \"s\".\"name\", \"qty\" = "
            "\"s\".\"qty\" FROM pg_temp.\"pgfast_stage_1\" \"s\" WHERE \"t\".\"id\" = \"s\".\"id\" "
            "AND ROW(\"t\".\"name\", \"t\".\"qty\") IS DISTINCT FROM ROW(\"s\".\"name\", "
            "\"s\".\"qty\") RETURNING \"s\".ord");
  std::string always = update_from_stage(kTables, {"id"}, {"name"}, false);
  EXPECT_EQ(always.find("IS DISTINCT FROM"), std::string::npos) << always;
}

TEST(BulkSql, InsertMissingOnlyNewKeysInKeyOrder) {
  std::string sql = insert_missing(kTables, {"id"}, {"id", "name"}, {"name"}, "");
  EXPECT_NE(sql.find("FROM pg_temp.\"pgfast_stage_1\" \"s\" ORDER BY"), std::string::npos) << sql;
  EXPECT_NE(sql.find("ORDER BY \"s\".\"id\" ON CONFLICT (\"id\") DO UPDATE SET \"name\" = "
                     "\"excluded\".\"name\" WHERE ROW(\"t\".\"name\") IS DISTINCT FROM "
                     "ROW(\"excluded\".\"name\")"),
            std::string::npos)
      << sql;
  std::string counted =
      insert_missing(kTables, {"id"}, {"id", "name"}, {"name"}, "", true, true, false);
  EXPECT_NE(counted.find("SELECT count(*) FILTER (WHERE \"i\".inserted)"), std::string::npos)
      << counted;
  EXPECT_EQ(counted.find("JOIN pg_temp"), std::string::npos) << counted;
  std::string plain = insert_missing(kTables, {"id"}, {"id", "name"}, {"name"}, "", false);
  EXPECT_EQ(plain.find("ON CONFLICT"), std::string::npos) << plain;
  EXPECT_NE(plain.find("RETURNING true AS inserted"), std::string::npos) << plain;
  std::string nothing = insert_missing(kTables, {"id"}, {"id"}, {}, "");
  EXPECT_NE(nothing.find("ON CONFLICT (\"id\") DO NOTHING"), std::string::npos) << nothing;
}

TEST(BulkSql, MatchedOrdsCollectedOnceAndExcludedFromTheInsert) {
  const std::string m = "pg_temp.\"pgfast_matched_1\"";
  EXPECT_EQ(collect_matched(kTables, {"id"}, {"name"}, m),
            "CREATE TEMPORARY TABLE pg_temp.\"pgfast_matched_1\" ON COMMIT DROP AS SELECT "
            "\"s\".ord, ROW(\"t\".\"name\") IS DISTINCT FROM ROW(\"s\".\"name\") AS differs FROM "
            "pg_temp.\"pgfast_stage_1\" \"s\" JOIN \"public\".\"items\" \"t\" ON \"t\".\"id\" = "
            "\"s\".\"id\"");
  EXPECT_NE(collect_matched(kTables, {"id"}, {}, m).find("SELECT \"s\".ord, false AS differs"),
            std::string::npos);
  std::string insert = insert_missing(kTables, {"id"}, {"id", "name"}, {"name"}, m, false);
  EXPECT_NE(insert.find("FROM pg_temp.\"pgfast_stage_1\" \"s\" WHERE NOT EXISTS (SELECT 1 FROM "
                        "pg_temp.\"pgfast_matched_1\" \"m\" WHERE \"m\".ord = \"s\".ord) ORDER BY"),
            std::string::npos)
      << insert;
  EXPECT_EQ(update_from_stage(kTables, {"id"}, {"name"}, true, "").find("RETURNING"),
            std::string::npos);
}

TEST(BulkSql, DuplicatesKeepLastOrFirst) {
  EXPECT_NE(remove_duplicates(kTables, {"id"}, true).find("\"a\".ord < \"b\".ord"),
            std::string::npos);
  EXPECT_NE(remove_duplicates(kTables, {"id"}, false).find("\"a\".ord > \"b\".ord"),
            std::string::npos);
  EXPECT_NE(first_duplicate(kTables, {"id"}).find("ORDER BY \"b\".ord, \"a\".ord LIMIT 1"),
            std::string::npos);
}

TEST(BulkSql, InsertAllReturnsKeysInInputOrder) {
  std::string sql = insert_all(kTables, {"name"}, {"id"});
  EXPECT_NE(sql.find("ORDER BY \"s\".ord RETURNING (SELECT pg_catalog.to_jsonb(\"k\") FROM (SELECT "
                     "\"t\".\"id\") AS \"k\")"),
            std::string::npos)
      << sql;
  EXPECT_NE(insert_all(kTables, {"name"}, {}).find("RETURNING NULL::jsonb"), std::string::npos);
}

}  // namespace
