// pgfast.notify_changes payloads (extension/core/change_payload): key JSON and batching under the
// NOTIFY limit.
#include "core/change_payload.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using pgfast::ChangePayloads;
using pgfast::JsonKind;

std::string key(const std::vector<std::string>& names, const std::vector<JsonKind>& kinds,
                const std::vector<std::string>& texts) {
  std::string out;
  pgfast::append_key_json(out, names, kinds, texts);
  return out;
}

TEST(ChangePayload, JsonNumbers) {
  for (const char* yes :
       {"0", "-1", "42", "3.25", "-0.5", "1e10", "2.5E-3", "12345678901234567890"}) {
    EXPECT_TRUE(pgfast::is_json_number(yes)) << yes;
  }
  for (const char* no :
       {"", "-", "01", "1.", ".5", "+1", "NaN", "Infinity", "-Infinity", "1e", "0x10", "1 "}) {
    EXPECT_FALSE(pgfast::is_json_number(no)) << no;
  }
}

TEST(ChangePayload, KeyObjects) {
  EXPECT_EQ(key({"id"}, {JsonKind::number}, {"1"}), R"({"id": 1})");
  EXPECT_EQ(key({"Order", "line"}, {JsonKind::number, JsonKind::string}, {"1", "say \"hi\""}),
            R"({"Order": 1, "line": "say \"hi\""})");
  EXPECT_EQ(key({"f", "b", "u"}, {JsonKind::number, JsonKind::boolean, JsonKind::string},
                {"NaN", "t", "ünï\n"}),
            R"({"f": "NaN", "b": true, "u": "ünï\n"})");
}

TEST(ChangePayload, WholeTableAndSmallBatch) {
  ChangePayloads p("\"My Schema\".\"T\"", "TRUNCATE");
  EXPECT_EQ(p.all(), R"({"table":"\"My Schema\".\"T\"","op":"TRUNCATE","all":true})");
  ChangePayloads u("public.items", "UPDATE");
  EXPECT_EQ(u.batches({R"({"id": 1})", R"({"id": 2})"}),
            std::vector<std::string>{
                R"({"table":"public.items","op":"UPDATE","keys":[{"id": 1},{"id": 2}]})"});
  EXPECT_TRUE(u.batches({}).empty());
}

TEST(ChangePayload, BatchesStayUnderTheLimitAndKeepEveryKey) {
  ChangePayloads p("public.items", "INSERT");
  std::vector<std::string> keys;
  for (int i = 0; i < 3000; ++i) keys.push_back("{\"id\": " + std::to_string(i) + "}");
  const auto batches = p.batches(keys);
  ASSERT_GT(batches.size(), 3u);
  std::string joined;
  for (std::size_t i = 0; i < batches.size(); ++i) {
    const auto& b = batches[i];
    EXPECT_LT(b.size(), ChangePayloads::kPayloadLimit);
    if (i + 1 < batches.size()) {
      EXPECT_GT(b.size(), ChangePayloads::kPayloadLimit - 40);  // full
    }
    const auto open = b.find("[") + 1;
    joined += (joined.empty() ? "" : ",") + b.substr(open, b.size() - open - 2);
  }
  std::string expected;
  for (const auto& k : keys) expected += (expected.empty() ? "" : ",") + k;
  EXPECT_EQ(joined, expected);
}

TEST(ChangePayload, KeyTooLongForOneMessageMeansWholeTable) {
  ChangePayloads p("public.items", "INSERT");
  const std::string huge = "{\"k\": \"" + std::string(8000, 'x') + "\"}";
  EXPECT_EQ(p.batches({R"({"k": "a"})", huge}), std::vector<std::string>{p.all()});
  // The largest key that fits, exactly.
  const std::string head = R"({"table":"public.items","op":"INSERT","keys":[)";
  const std::size_t room = ChangePayloads::kPayloadLimit - 1 - head.size() - 2;
  const std::string fits = "\"" + std::string(room - 2, 'y') + "\"";
  const auto one = p.batches({fits});
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].size(), ChangePayloads::kPayloadLimit - 1);
}

}  // namespace
