// pgfast::Result over a PGresult built in memory (libpq's PQmakeEmptyPGresult/PQsetvalue), so
// the accessors and conversions are tested without a server.
#include "pgfast/result.hpp"

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "pgfast/errors.hpp"

namespace {

using pgfast::Result;

// A TUPLES_OK result with the given column names and rows (nullptr = NULL).
Result make_result(const std::vector<std::string>& names,
                   const std::vector<std::vector<const char*>>& rows) {
  PGresult* r = PQmakeEmptyPGresult(nullptr, PGRES_TUPLES_OK);
  std::vector<PGresAttDesc> attrs(names.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    attrs[i] = PGresAttDesc{};
    attrs[i].name = const_cast<char*>(names[i].c_str());
    attrs[i].typid = 25;  // text
    attrs[i].typlen = -1;
    attrs[i].atttypmod = -1;
  }
  EXPECT_TRUE(PQsetResultAttrs(r, static_cast<int>(attrs.size()), attrs.data()));
  for (std::size_t row = 0; row < rows.size(); ++row) {
    for (std::size_t col = 0; col < rows[row].size(); ++col) {
      const char* v = rows[row][col];
      EXPECT_TRUE(PQsetvalue(r, static_cast<int>(row), static_cast<int>(col), const_cast<char*>(v),
                             v == nullptr ? -1 : static_cast<int>(std::string(v).size())));
    }
  }
  return Result(r);
}

TEST(Result, EmptyDefault) {
  const Result r;
  EXPECT_EQ(r.rows(), 0);
  EXPECT_EQ(r.columns(), 0);
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(r.affected_rows(), 0u);
  EXPECT_THROW(r.get(0, 0), std::out_of_range);
}

TEST(Result, ShapeNamesAndValues) {
  const Result r = make_result({"id", "Name"}, {{"1", "alpha"}, {"2", nullptr}});
  EXPECT_EQ(r.rows(), 2);
  EXPECT_EQ(r.columns(), 2);
  EXPECT_EQ(r.column_name(1), "Name");
  EXPECT_EQ(r.column_index("id"), 0);
  EXPECT_EQ(r.column_index("Name"), 1);
  EXPECT_THROW(r.column_index("name"), std::out_of_range);  // exact, case-sensitive
  EXPECT_EQ(r.get(0, 1), "alpha");
  EXPECT_EQ(r.get(0, "Name"), "alpha");
  EXPECT_FALSE(r.is_null(0, 1));
  EXPECT_TRUE(r.is_null(1, 1));
  EXPECT_EQ(r.get(1, 1), "");
  EXPECT_EQ(r.get_optional(1, 1), std::nullopt);
  EXPECT_EQ(r.get_optional(0, "Name"), "alpha");
}

TEST(Result, IndexesAreChecked) {
  const Result r = make_result({"a"}, {{"1"}});
  EXPECT_THROW(r.get(1, 0), std::out_of_range);
  EXPECT_THROW(r.get(0, 1), std::out_of_range);
  EXPECT_THROW(r.get(-1, 0), std::out_of_range);
  EXPECT_THROW(r.is_null(0, -1), std::out_of_range);
  EXPECT_THROW(r.column_name(3), std::out_of_range);
}

TEST(Result, TypedConversions) {
  const Result r =
      make_result({"i", "big", "d", "b", "s"}, {{"-42", "9223372036854775807", "2.5", "t", "héllo"},
                                                {"7", "-9223372036854775808", "-Infinity", "f", ""},
                                                {"0", "0", "NaN", "true", "x"}});
  EXPECT_EQ(r.as<std::int32_t>(0, 0), -42);
  EXPECT_EQ(r.as<std::int64_t>(0, 1), 9223372036854775807LL);
  EXPECT_EQ(r.as<long long>(1, 1), std::numeric_limits<long long>::min());
  EXPECT_EQ(r.as<double>(0, 2), 2.5);
  EXPECT_TRUE(std::isinf(r.as<double>(1, 2)) && r.as<double>(1, 2) < 0);
  EXPECT_TRUE(std::isnan(r.as<double>(2, 2)));
  EXPECT_TRUE(r.as<bool>(0, 3));
  EXPECT_FALSE(r.as<bool>(1, 3));
  EXPECT_TRUE(r.as<bool>(2, 3));
  EXPECT_EQ(r.as<std::string>(0, "s"), "héllo");
  EXPECT_EQ(r.as<std::string_view>(1, "s"), "");
  EXPECT_EQ(r.as<int>(1, "i"), 7);
}

TEST(Result, ConversionFailuresNameTheCell) {
  const Result r = make_result({"v", "n"}, {{"12abc", nullptr}, {"99999999999", "1"}});
  try {
    r.as<int>(0, 0);
    FAIL() << "converted 12abc";
  } catch (const pgfast::ClientError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("\"v\""), std::string::npos) << message;
    EXPECT_NE(message.find("12abc"), std::string::npos) << message;
  }
  EXPECT_THROW(r.as<int>(1, 0), pgfast::ClientError);  // out of range for int
  EXPECT_EQ(r.as<std::int64_t>(1, 0), 99999999999LL);
  EXPECT_THROW(r.as<bool>(1, 0), pgfast::ClientError);
  EXPECT_THROW(r.as<double>(0, 0), pgfast::ClientError);
  EXPECT_THROW(r.as<std::string>(0, "n"), pgfast::ClientError);  // NULL
  EXPECT_EQ(r.as_optional<int>(0, "n"), std::nullopt);
  EXPECT_EQ(r.as_optional<int>(1, "n"), 1);
}

TEST(Result, AffectedRowsFromCommandTag) {
  // A result with no command tag reports 0.
  const Result r = make_result({"a"}, {{"1"}});
  EXPECT_EQ(r.affected_rows(), 0u);
}

TEST(Result, MovesOwnership) {
  Result a = make_result({"a"}, {{"1"}});
  Result b = std::move(a);
  EXPECT_EQ(b.get(0, 0), "1");
  EXPECT_EQ(a.native_handle(), nullptr);  // NOLINT(bugprone-use-after-move): documented state
}

}  // namespace
