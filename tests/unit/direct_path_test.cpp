// BulkWriter's direct-path decision (client/src/bulk/direct_path.hpp) over catalog facts, no
// server: each rule of docs/bulk.md "Direct path: when it is used" turns the path off, with a
// reason.
#include "bulk/direct_path.hpp"

#include <gtest/gtest.h>

namespace {

using pgfast::BulkMode;
using pgfast::BulkType;
using pgfast::DirectPathColumn;
using pgfast::DirectPathDecision;
using pgfast::DirectPathFacts;

constexpr unsigned kInt8 = 20;
constexpr unsigned kText = 25;
constexpr unsigned kNumeric = 1700;

// A table (id bigint primary key, title text) every rule allows.
DirectPathFacts table() {
  DirectPathFacts f;
  f.exists = true;
  f.plain_table = true;
  f.may_update = true;
  f.conflict_index = true;
  DirectPathColumn id;
  id.name = "id";
  id.type_oid = kInt8;
  id.in_primary_key = true;
  DirectPathColumn title;
  title.name = "title";
  title.type_oid = kText;
  f.columns = {id, title};
  return f;
}

pgfast::BulkWriterOptions writer(BulkMode mode = BulkMode::upsert) {
  pgfast::BulkWriterOptions o;
  o.target = "t";
  o.mode = mode;
  o.columns = {{"id", BulkType::int64}, {"title", BulkType::text}};
  return o;
}

void expect_staged(const DirectPathFacts& facts, const pgfast::BulkWriterOptions& options,
                   const std::string& reason_part) {
  DirectPathDecision d = pgfast::decide_direct_path(facts, options);
  EXPECT_FALSE(d.direct);
  EXPECT_NE(d.reason.find(reason_part), std::string::npos) << d.reason;
  EXPECT_TRUE(d.probe_keys.empty());
}

TEST(DirectPath, PlainTableWithMatchingTypesGoesDirectAndProbesThePrimaryKey) {
  DirectPathDecision d = pgfast::decide_direct_path(table(), writer());
  EXPECT_TRUE(d.direct);
  EXPECT_TRUE(d.reason.empty());
  EXPECT_EQ(d.probe_keys, std::vector<std::size_t>{0});
  DirectPathDecision insert = pgfast::decide_direct_path(table(), writer(BulkMode::insert));
  EXPECT_TRUE(insert.direct);
  EXPECT_TRUE(insert.probe_keys.empty());
}

TEST(DirectPath, MissingRelationOrNotAPlainTableIsStaged) {
  DirectPathFacts none;
  expect_staged(none, writer(), "no such relation");
  DirectPathFacts f = table();
  f.plain_table = false;
  expect_staged(f, writer(BulkMode::insert), "not a table");
}

TEST(DirectPath, UpsertNeedsNoUserTriggersUpdatePrivilegeAndAConflictIndex) {
  DirectPathFacts f = table();
  f.user_triggers = true;
  expect_staged(f, writer(), "triggers");
  EXPECT_TRUE(pgfast::decide_direct_path(f, writer(BulkMode::insert)).direct);
  f = table();
  f.may_update = false;
  expect_staged(f, writer(), "UPDATE");
  f = table();
  f.conflict_index = false;
  expect_staged(f, writer(), "unique index");
}

TEST(DirectPath, EveryColumnMustExistOnceTakeTheBinaryAsSentAndBeWritable) {
  pgfast::BulkWriterOptions o = writer();
  o.columns.push_back({"id", BulkType::int64});
  expect_staged(table(), o, "sent twice");
  o = writer();
  o.columns.push_back({"nope", BulkType::text});
  expect_staged(table(), o, "does not exist");
  DirectPathFacts f = table();
  f.columns[0].type_oid = kNumeric;
  expect_staged(f, writer(BulkMode::insert), "needs a cast");
  f = table();
  f.columns[1].identity = 'a';
  expect_staged(f, writer(BulkMode::insert), "identity");
  f.columns[1].identity = 'd';
  EXPECT_TRUE(pgfast::decide_direct_path(f, writer(BulkMode::insert)).direct);
  f = table();
  f.columns[1].generated = true;
  expect_staged(f, writer(BulkMode::insert), "generated");
}

TEST(DirectPath, UpsertOmittingAColumnWithADefaultIsStaged) {
  DirectPathFacts f = table();
  DirectPathColumn seen;
  seen.name = "seen";
  seen.type_oid = 1184;
  seen.has_default = true;
  f.columns.push_back(seen);
  expect_staged(f, writer(), "\"seen\", which has a default");
  EXPECT_TRUE(pgfast::decide_direct_path(f, writer(BulkMode::insert)).direct);
}

TEST(DirectPath, ConflictAndUpdateColumnsMustBeSent) {
  pgfast::BulkWriterOptions o = writer();
  o.conflict_columns = {"title", "other"};
  expect_staged(table(), o, "conflict column \"other\"");
  o = writer();
  o.update_columns = std::vector<std::string>{"other"};
  expect_staged(table(), o, "update column \"other\"");
}

TEST(DirectPath, ProbeKeysAreTheConflictColumnsWhenAllAreIntegersOrText) {
  pgfast::BulkWriterOptions o = writer();
  o.columns = {{"title", BulkType::text}, {"id", BulkType::int64}};
  o.conflict_columns = {"title"};
  EXPECT_EQ(pgfast::decide_direct_path(table(), o).probe_keys, std::vector<std::size_t>{0});
  DirectPathFacts f = table();
  f.columns[0].type_oid = 1184;
  o = writer();
  o.columns[0] = {"id", BulkType::timestamptz};
  DirectPathDecision d = pgfast::decide_direct_path(f, o);
  EXPECT_TRUE(d.direct);
  EXPECT_TRUE(d.probe_keys.empty());  // a timestamptz key: no probe
}

TEST(DirectPath, TakesBinaryOnlyForTheExactType) {
  EXPECT_TRUE(pgfast::takes_binary(BulkType::int64, 20));
  EXPECT_FALSE(pgfast::takes_binary(BulkType::int64, 23));
  EXPECT_TRUE(pgfast::takes_binary(BulkType::int32, 23));
  EXPECT_TRUE(pgfast::takes_binary(BulkType::text, 1043));
  EXPECT_FALSE(pgfast::takes_binary(BulkType::text, 1042));  // char(n) pads: needs the cast
  EXPECT_TRUE(pgfast::takes_binary(BulkType::float32, 700));
  EXPECT_FALSE(pgfast::takes_binary(BulkType::float64, 700));
}

}  // namespace
