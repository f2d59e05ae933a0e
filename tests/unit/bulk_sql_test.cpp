// SQL text of the bulk operations (extension/core/bulk_sql.cpp).
#include "core/bulk_sql.hpp"

#include <gtest/gtest.h>

namespace {

using namespace pgfast::bulk_sql;

const Tables kTables{"\"public\".\"items\"", "pg_temp.\"pgfast_stage_1\"", "\"ord\""};

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
      "SELECT \"s\".\"ord\" FROM \"public\".\"items\" \"t\" JOIN pg_temp.\"pgfast_stage_1\" "
      "\"s\" ON \"t\".\"a\" = \"s\".\"a\" AND \"t\".\"b\" = \"s\".\"b\" ORDER BY \"t\".\"a\", "
      "\"t\".\"b\" FOR UPDATE OF \"t\"");
}

TEST(BulkSql, UpdateOnlyChangedRows) {
  EXPECT_EQ(update_from_stage(kTables, {"id"}, {"name", "qty"}, true),
            "UPDATE \"public\".\"items\" \"t\" SET \"name\" = \"s\".\"name\", \"qty\" = "
            "\"s\".\"qty\" FROM pg_temp.\"pgfast_stage_1\" \"s\" WHERE \"t\".\"id\" = \"s\".\"id\" "
            "AND ROW(\"t\".\"name\", \"t\".\"qty\") IS DISTINCT FROM ROW(\"s\".\"name\", "
            "\"s\".\"qty\") RETURNING \"s\".\"ord\"");
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
            "\"s\".\"ord\" AS ord, ROW(\"t\".\"name\") IS DISTINCT FROM ROW(\"s\".\"name\") AS "
            "differs FROM "
            "pg_temp.\"pgfast_stage_1\" \"s\" JOIN \"public\".\"items\" \"t\" ON \"t\".\"id\" = "
            "\"s\".\"id\"");
  EXPECT_NE(
      collect_matched(kTables, {"id"}, {}, m).find("SELECT \"s\".\"ord\" AS ord, false AS differs"),
      std::string::npos);
  std::string insert = insert_missing(kTables, {"id"}, {"id", "name"}, {"name"}, m, false);
  EXPECT_NE(
      insert.find("FROM pg_temp.\"pgfast_stage_1\" \"s\" WHERE NOT EXISTS (SELECT 1 FROM "
                  "pg_temp.\"pgfast_matched_1\" \"m\" WHERE \"m\".ord = \"s\".\"ord\") ORDER BY"),
      std::string::npos)
      << insert;
  EXPECT_EQ(update_from_stage(kTables, {"id"}, {"name"}, true, false).find("RETURNING"),
            std::string::npos);
}

// Duplicate keys are resolved by one window over the stage sorted by key (O(n log n)), never by
// a self-join of the stage (O(n^2) when many rows share a key).
TEST(BulkSql, DuplicatesKeepLastOrFirstWithOneWindow) {
  EXPECT_EQ(remove_duplicates(kTables, {"a", "b"}, true),
            "DELETE FROM pg_temp.\"pgfast_stage_1\" \"s\" WHERE \"s\".ctid = ANY (ARRAY(SELECT "
            "\"d\".tid FROM (SELECT \"w\".ctid AS tid, pg_catalog.row_number() OVER (PARTITION BY "
            "\"w\".\"a\", \"w\".\"b\" ORDER BY \"w\".\"ord\" DESC) AS n FROM "
            "pg_temp.\"pgfast_stage_1\" \"w\") AS \"d\" WHERE \"d\".n > 1)) RETURNING "
            "\"s\".\"ord\"");
  EXPECT_NE(remove_duplicates(kTables, {"id"}, false).find("ORDER BY \"w\".\"ord\") AS n"),
            std::string::npos);
  EXPECT_EQ(first_duplicate(kTables, {"id"}),
            "SELECT \"d\".first, \"d\".ord FROM (SELECT \"s\".\"ord\" AS ord, pg_catalog.min("
            "\"s\".\"ord\") OVER (PARTITION BY \"s\".\"id\") AS first FROM "
            "pg_temp.\"pgfast_stage_1\" \"s\") AS \"d\" WHERE \"d\".first < \"d\".ord ORDER BY "
            "\"d\".ord LIMIT 1");
  for (const std::string& sql :
       {remove_duplicates(kTables, {"id"}, true), remove_duplicates(kTables, {"id"}, false),
        first_duplicate(kTables, {"id"})}) {
    EXPECT_EQ(sql.find("JOIN"), std::string::npos) << sql;
    EXPECT_EQ(sql.find("USING"), std::string::npos) << sql;
  }
}

// The stage's position column is whatever name Tables::ord gives (one no target column has); no
// statement names it otherwise, and the key object is a whole-row reference ("k".*), which no
// column named k can capture.
TEST(BulkSql, InternalNamesNeverMeetUserColumns) {
  const Tables t{"\"public\".\"items\"", "pg_temp.\"pgfast_stage_1\"", "\"ord_2\""};
  const std::vector<std::string> keys = {"ord"};
  const std::vector<std::string> cols = {"ord", "k"};
  const std::string m = "pg_temp.\"pgfast_matched_1\"";
  for (const std::string& sql :
       {first_null_key(t, "ord"), first_duplicate(t, keys), remove_duplicates(t, keys, true),
        lock_existing(t, keys), collect_matched(t, keys, {"k"}, m), lock_differing(t, keys, {"k"}),
        update_from_stage(t, keys, {"k"}, true, true, true),
        insert_missing(t, keys, cols, {"k"}, m), insert_all(t, cols, {"ord"})}) {
    EXPECT_EQ(sql.find("\"s\".ord"), std::string::npos) << sql;
    EXPECT_EQ(sql.find("\"w\".ord"), std::string::npos) << sql;
    EXPECT_NE(sql.find("\"ord_2\""), std::string::npos) << sql;
  }
  EXPECT_EQ(key_json({"k"}),
            "(SELECT pg_catalog.to_jsonb(\"k\".*) FROM (SELECT \"s\".\"k\") AS \"k\")");
}

TEST(BulkSql, InsertAllReturnsKeysInInputOrder) {
  std::string sql = insert_all(kTables, {"name"}, {"id"});
  EXPECT_NE(sql.find("ORDER BY \"s\".\"ord\" RETURNING (SELECT pg_catalog.to_jsonb(\"k\".*) FROM "
                     "(SELECT \"t\".\"id\") AS \"k\")"),
            std::string::npos)
      << sql;
  // Without keys to return, no RETURNING: it would need SELECT on the target.
  EXPECT_EQ(insert_all(kTables, {"name"}, {}),
            "INSERT INTO \"public\".\"items\" AS \"t\" (\"name\") SELECT \"s\".\"name\" FROM "
            "pg_temp.\"pgfast_stage_1\" \"s\" ORDER BY \"s\".\"ord\"");
}

// Only errors a bad value can cause send a bulk function looking for the row to blame; a cancel,
// a timeout or any other failure of the statement itself must pass through unchanged.
TEST(BulkSql, OnlyDataErrorsBlameARow) {
  for (const char* code : {"22P02", "22003", "22023", "23514", "23502", "23505", "42804"}) {
    EXPECT_TRUE(blames_row(code)) << code;
  }
  for (const char* code : {"57014", "57P01", "57P05", "55P03", "40P01", "40001", "53200", "53100",
                           "58030", "XX000", "42501", "25P02", "0A000", ""}) {
    EXPECT_FALSE(blames_row(code)) << code;
  }
}

}  // namespace

namespace {

InPlace in_place(bool update, bool insert) {
  InPlace p;
  p.target = "\"public\".\"items\"";
  p.source = "pg_temp.\"incoming\"";
  p.check = "\"ord\"";
  p.keys = {"id"};
  p.columns = {"id", "na'me"};
  p.set_columns = {"na'me"};
  p.update = update;
  p.insert = insert;
  return p;
}

TEST(BulkSql, UpsertInPlaceUpdatesInKeyOrderThenInsertsOnlyWhenRowsAreLeft) {
  std::string sql = upsert_in_place(in_place(true, true));
  // The update reads the source sorted by key, checking that no key repeats.
  EXPECT_NE(
      sql.find("FROM (SELECT \"w\".*, 1 / CASE WHEN \"w\".\"id\" = pg_catalog.lag("
               "\"w\".\"id\") OVER (ORDER BY \"w\".\"id\") THEN 0 ELSE 1 END AS \"ord\" "
               "FROM pg_temp.\"incoming\" \"w\" ORDER BY \"w\".\"id\") AS \"s\" WHERE "
               "\"t\".\"id\" = \"s\".\"id\" AND \"s\".\"ord\" = 1 AND ROW(\"t\".\"na'me\") IS "
               "DISTINCT FROM ROW(\"s\".\"na'me\") RETURNING 1)"),
      std::string::npos)
      << sql;
  // The insert runs only when the update left rows, and only for keys the target lacks.
  EXPECT_NE(sql.find("WHERE (SELECT \"c\".n FROM \"c\") < $1 AND NOT EXISTS (SELECT 1 FROM "
                     "\"public\".\"items\" \"e\" WHERE \"e\".\"id\" = \"s\".\"id\") ORDER BY "
                     "\"s\".\"id\" RETURNING 1)"),
            std::string::npos)
      << sql;
  EXPECT_EQ(sql.find('\''), sql.find("na'me") + 2) << "no string literal: " << sql;
}

TEST(BulkSql, UpsertInPlaceComparesEachKeyColumnWithItsPredecessor) {
  InPlace p = in_place(true, false);
  p.keys = {"a", "b"};
  std::string sql = upsert_in_place(p);
  EXPECT_NE(sql.find("CASE WHEN \"w\".\"a\" = pg_catalog.lag(\"w\".\"a\") OVER (ORDER BY "
                     "\"w\".\"a\", \"w\".\"b\") AND \"w\".\"b\" = pg_catalog.lag(\"w\".\"b\") OVER "
                     "(ORDER BY \"w\".\"a\", \"w\".\"b\") THEN 0 ELSE 1 END"),
            std::string::npos)
      << sql;
  EXPECT_EQ(sql.find("INSERT"), std::string::npos) << sql;
  EXPECT_NE(sql.find("SELECT (SELECT \"c\".n FROM \"c\"), 0::bigint"), std::string::npos) << sql;
}

TEST(BulkSql, UpsertInPlaceWithoutMatchesOnlyInserts) {
  EXPECT_EQ(upsert_in_place(in_place(false, true)),
            "INSERT INTO \"public\".\"items\" AS \"t\" (\"id\", \"na'me\") SELECT \"s\".\"id\", "
            "\"s\".\"na'me\" FROM pg_temp.\"incoming\" \"s\" ORDER BY \"s\".\"id\"");
}

TEST(BulkSql, MatchCountsCountsMatchedAndDiffering) {
  EXPECT_EQ(match_counts(kTables, {"id"}, {"v"}),
            "SELECT pg_catalog.count(*), pg_catalog.count(*) FILTER (WHERE ROW(\"t\".\"v\") IS "
            "DISTINCT FROM ROW(\"s\".\"v\")) FROM pg_temp.\"pgfast_stage_1\" \"s\" JOIN "
            "\"public\".\"items\" \"t\" ON \"t\".\"id\" = \"s\".\"id\"");
}

}  // namespace
