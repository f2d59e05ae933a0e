// pgfast::Error (extension/core): SQLSTATE validation and the fields the SQL entry guard re-raises.
#include "core/error.hpp"

#include <gtest/gtest.h>

#include "core/build_info.hpp"

namespace {

TEST(CoreError, KeepsSqlstateMessageDetailAndHint) {
  pgfast::Error e("22023", "bad page_size", "page_size was 0", "use 1..500");
  EXPECT_EQ(e.sqlstate(), "22023");
  EXPECT_STREQ(e.what(), "bad page_size");
  EXPECT_EQ(e.detail(), "page_size was 0");
  EXPECT_EQ(e.hint(), "use 1..500");
}

TEST(CoreError, InvalidSqlstateBecomesInternalError) {
  EXPECT_EQ(pgfast::Error("2202", "x").sqlstate(), "XX000");
  EXPECT_EQ(pgfast::Error("22o23", "x").sqlstate(), "XX000");
  EXPECT_EQ(pgfast::Error("", "x").sqlstate(), "XX000");
}

TEST(CoreError, ValidatesSqlstateShape) {
  EXPECT_TRUE(pgfast::is_valid_sqlstate("42P01"));
  EXPECT_TRUE(pgfast::is_valid_sqlstate("XX000"));
  EXPECT_FALSE(pgfast::is_valid_sqlstate("42p01"));
  EXPECT_FALSE(pgfast::is_valid_sqlstate("42P011"));
}

TEST(CoreError, MessageAndDetailOnOneLine) {
  EXPECT_EQ(pgfast::message_and_detail(pgfast::Error("55P03", "lock timeout")), "lock timeout");
  EXPECT_EQ(pgfast::message_and_detail(pgfast::Error("42501", "denied", "role r", "ask")),
            "denied (role r)");
}

TEST(CoreVersion, DescribesVersionServerAndCompiler) {
  std::string d = pgfast::build_description("15.4");
  EXPECT_EQ(d.rfind(std::string("pgfast ") + pgfast::kVersion + " (PostgreSQL 15.4, ", 0), 0u) << d;
  EXPECT_NE(d.find("C++17"), std::string::npos) << d;
}

}  // namespace
