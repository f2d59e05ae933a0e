// Parsing pgfast.notify_changes payloads (the exact texts the trigger writes).
#include "cache/change_notification.hpp"

#include <gtest/gtest.h>

namespace {

using pgfast::ChangeNotificationError;
using pgfast::parse_change_notification;

TEST(ChangeNotification, KeysAsTemplateParameters) {
  const auto n = parse_change_notification(
      R"({"table":"public.items","op":"UPDATE","keys":[{"id": 10},{"id": 1}]})");
  EXPECT_EQ(n.table, "public.items");
  EXPECT_EQ(n.op, "UPDATE");
  EXPECT_FALSE(n.all);
  ASSERT_EQ(n.keys.size(), 2u);
  EXPECT_EQ(*n.keys[0].find("id"), "10");
  EXPECT_EQ(*n.keys[1].find("id"), "1");
}

TEST(ChangeNotification, CompositeQuotedAndUnicodeKeys) {
  const auto n = parse_change_notification(
      R"({"table":"\"My Schema\".\"Order Lines\"","op":"INSERT","keys":[{"line": "say \"hi\"", "Order": 1},{"line": "ünï \u00e9\ud83d\ude00", "Order": -2.5e3, "flag": true, "n": null}]})");
  EXPECT_EQ(n.table, "\"My Schema\".\"Order Lines\"");
  ASSERT_EQ(n.keys.size(), 2u);
  EXPECT_EQ(*n.keys[0].find("line"), "say \"hi\"");
  EXPECT_EQ(*n.keys[0].find("Order"), "1");
  EXPECT_EQ(*n.keys[1].find("line"), "ünï é😀");
  EXPECT_EQ(*n.keys[1].find("Order"), "-2.5e3");
  EXPECT_EQ(*n.keys[1].find("flag"), "true");
  EXPECT_EQ(*n.keys[1].find("n"), "null");
  EXPECT_EQ(pgfast::KeyTemplate("ol:{Order}:{line}").fill(n.keys[0]), "ol:1:say \"hi\"");
}

TEST(ChangeNotification, WholeTable) {
  const auto n = parse_change_notification(R"({"table":"public.t","op":"TRUNCATE","all":true})");
  EXPECT_TRUE(n.all);
  EXPECT_TRUE(n.keys.empty());
  EXPECT_EQ(n.op, "TRUNCATE");
}

TEST(ChangeNotification, UnknownMembersAreSkipped) {
  const auto n = parse_change_notification(
      R"({"v":2,"extra":{"a":[1,{"b":"}"}]},"table":"public.t","op":"DELETE","keys":[]})");
  EXPECT_EQ(n.table, "public.t");
  EXPECT_TRUE(n.keys.empty());
}

TEST(ChangeNotification, MalformedPayloadsAreClearErrors) {
  for (const char* bad :
       {"", "not json", "{", R"({"table":"public.t"})", R"({"op":"INSERT","all":true})",
        R"({"table":"public.t","keys":[{"id":1})", R"({"table":"public.t","keys":[{"id":"x]})",
        R"({"table":"public.t","all":true} trailing)", R"({"table":"t\q","all":true})"}) {
    EXPECT_THROW(parse_change_notification(bad), ChangeNotificationError) << bad;
  }
  try {
    parse_change_notification(R"({"table":"public.t","op":"X"})");
    FAIL();
  } catch (const ChangeNotificationError& e) {
    EXPECT_NE(std::string(e.what()).find("neither \"keys\" nor \"all\""), std::string::npos);
  }
}

TEST(ChangeNotification, QualifiedTableName) {
  EXPECT_EQ(pgfast::qualified_table_name("items"), "public.items");
  EXPECT_EQ(pgfast::qualified_table_name("app.items"), "app.items");
  EXPECT_EQ(pgfast::qualified_table_name("\"a.b\""), "public.\"a.b\"");
  EXPECT_EQ(pgfast::qualified_table_name("\"My Schema\".\"T\""), "\"My Schema\".\"T\"");
}

}  // namespace
