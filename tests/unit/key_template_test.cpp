// pgfast::KeyTemplate: filling keys from named parameters, glob patterns for invalidation.
#include "pgfast/cache/key_template.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using pgfast::KeyParams;
using pgfast::KeyTemplate;
using pgfast::KeyTemplateError;

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const KeyTemplateError& e) {
    return e.what();
  }
  return "<no KeyTemplateError>";
}

TEST(KeyTemplate, FillsNamedParameters) {
  const KeyTemplate t("search:results:{session_id}:{page}");
  EXPECT_EQ(t.fill({{"session_id", 42}, {"page", "2"}}), "search:results:42:2");
  EXPECT_EQ(t.parameters(), (std::vector<std::string>{"session_id", "page"}));
}

TEST(KeyTemplate, ValueTypes) {
  const KeyTemplate t("{a}|{b}|{c}|{d}");
  const std::string s = "str";
  EXPECT_EQ(t.fill({{"a", -7L}, {"b", true}, {"c", s}, {"d", std::string_view("sv")}}),
            "-7|true|str|sv");
}

TEST(KeyTemplate, RepeatedParameterAndExtraParametersIgnored) {
  const KeyTemplate t("{id}-{id}");
  EXPECT_EQ(t.fill({{"id", 1}, {"unused", 2}}), "1-1");
  EXPECT_EQ(t.parameters().size(), 1u);
}

TEST(KeyTemplate, LastValueWins) {
  KeyParams p{{"id", 1}};
  p.set("id", 2);
  EXPECT_EQ(KeyTemplate("k:{id}").fill(p), "k:2");
}

TEST(KeyTemplate, LiteralBracesAndNoParameters) {
  EXPECT_EQ(KeyTemplate("a{{b}}c").fill({}), "a{b}c");
  EXPECT_EQ(KeyTemplate("plain:key").fill({}), "plain:key");
  EXPECT_EQ(KeyTemplate("").fill({}), "");
}

TEST(KeyTemplate, UnicodeValuesPassThrough) {
  EXPECT_EQ(KeyTemplate("u:{name}").fill({{"name", "Zoë 東京"}}), "u:Zoë 東京");
}

TEST(KeyTemplate, MissingParameterNamesItAndTheTemplate) {
  const KeyTemplate t("search:results:{session_id}");
  const std::string message = error_of([&] { t.fill({{"sessionid", 1}}); });
  EXPECT_NE(message.find("\"session_id\""), std::string::npos) << message;
  EXPECT_NE(message.find("search:results:{session_id}"), std::string::npos) << message;
  EXPECT_THROW(t.pattern({}), KeyTemplateError);
}

TEST(KeyTemplate, UnbalancedBracesAreRejected) {
  EXPECT_NE(error_of([] { KeyTemplate("a:{id"); }).find("never closed"), std::string::npos);
  EXPECT_NE(error_of([] { KeyTemplate("a:id}"); }).find("no matching '{'"), std::string::npos);
  EXPECT_NE(error_of([] { KeyTemplate("a:{}"); }).find("empty parameter"), std::string::npos);
  EXPECT_THROW(KeyTemplate("a:{x{y}"), KeyTemplateError);
  EXPECT_THROW(KeyTemplate("a:{1x}"), KeyTemplateError);
  EXPECT_THROW(KeyTemplate("a:{x-y}"), KeyTemplateError);
}

TEST(KeyTemplate, PatternKeepsLiteralWildcardsAndEscapesValues) {
  const KeyTemplate t("search:*:{session_id}");
  EXPECT_TRUE(t.has_wildcards());
  EXPECT_FALSE(KeyTemplate("search:{x}").has_wildcards());
  EXPECT_EQ(t.pattern({{"session_id", 7}}), "search:*:7");
  EXPECT_EQ(t.pattern({{"session_id", "a*b?[c]\\d"}}), "search:*:a\\*b\\?\\[c\\]\\\\d");
}

TEST(KeyTemplate, MatchAllPatternReplacesEveryParameter) {
  EXPECT_EQ(KeyTemplate("user:{id}:posts:{page}").match_all_pattern(), "user:*:posts:*");
  EXPECT_EQ(KeyTemplate("static").match_all_pattern(), "static");
}

TEST(EscapeGlob, EscapesOnlyMetacharacters) {
  EXPECT_EQ(pgfast::escape_glob("plain:1"), "plain:1");
  EXPECT_EQ(pgfast::escape_glob("*?[]\\"), "\\*\\?\\[\\]\\\\");
}

}  // namespace
