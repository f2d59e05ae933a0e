// pgfast::Result over a PGresult built in memory (libpq's PQmakeEmptyPGresult/PQsetvalue), so
// the accessors and conversions are tested without a server.
#include "pgfast/db/result.hpp"

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
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
  EXPECT_THROW(r.get(0, 0), pgfast::OutOfRangeError);
}

TEST(Result, ShapeNamesAndValues) {
  const Result r = make_result({"id", "Name"}, {{"1", "alpha"}, {"2", nullptr}});
  EXPECT_EQ(r.rows(), 2);
  EXPECT_EQ(r.columns(), 2);
  EXPECT_EQ(r.column_name(1), "Name");
  EXPECT_EQ(r.column_index("id"), 0);
  EXPECT_EQ(r.column_index("Name"), 1);
  EXPECT_THROW(r.column_index("name"), pgfast::OutOfRangeError);  // exact, case-sensitive
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
  EXPECT_THROW(r.get(1, 0), pgfast::OutOfRangeError);
  EXPECT_THROW(r.get(0, 1), pgfast::OutOfRangeError);
  EXPECT_THROW(r.get(-1, 0), pgfast::OutOfRangeError);
  EXPECT_THROW(r.is_null(0, -1), pgfast::OutOfRangeError);
  EXPECT_THROW(r.column_name(3), pgfast::OutOfRangeError);
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
  } catch (const pgfast::ConversionError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("\"v\""), std::string::npos) << message;
    EXPECT_NE(message.find("12abc"), std::string::npos) << message;
  }
  EXPECT_THROW(r.as<int>(1, 0), pgfast::ConversionError);  // out of range for int
  EXPECT_EQ(r.as<std::int64_t>(1, 0), 99999999999LL);
  EXPECT_THROW(r.as<bool>(1, 0), pgfast::ConversionError);
  EXPECT_THROW(r.as<double>(0, 0), pgfast::ConversionError);
  EXPECT_THROW(r.as<std::string>(0, "n"), pgfast::ConversionError);  // NULL
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

TEST(Result, RangeForOverRowsAndFields) {
  const Result r = make_result({"id", "name"}, {{"1", "a"}, {"2", nullptr}, {"3", "c"}});
  std::vector<int> ids;
  std::vector<std::optional<std::string>> names;
  for (pgfast::Row row : r) {
    EXPECT_EQ(row.size(), 2);
    EXPECT_EQ(row.index(), static_cast<int>(ids.size()));
    ids.push_back(row["id"].as<int>());
    names.push_back(row.as<std::optional<std::string>>(1));
  }
  EXPECT_EQ(ids, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(names, (std::vector<std::optional<std::string>>{"a", std::nullopt, "c"}));
  EXPECT_EQ(r.end() - r.begin(), 3);
  EXPECT_EQ(std::distance(r.begin(), r.end()), 3);

  const pgfast::Field f = r[1]["name"];
  EXPECT_TRUE(f.is_null());
  EXPECT_EQ(f.name(), "name");
  EXPECT_EQ(f.view(), "");
  EXPECT_EQ(f.as<std::optional<int>>(), std::nullopt);
  EXPECT_THROW(f.as<std::string>(), pgfast::ConversionError);
  EXPECT_EQ(r[2][0].view(), "3");

  int visited = 0;
  for (pgfast::Row row : Result()) visited += row.size();
  EXPECT_EQ(visited, 0);
}

TEST(Result, RowAndFieldIndexErrorsAreOutOfRangeError) {
  const Result r = make_result({"a"}, {{"1"}});
  EXPECT_THROW(r[1], pgfast::OutOfRangeError);
  EXPECT_THROW(r[-1], pgfast::OutOfRangeError);
  EXPECT_THROW(r[0][1], pgfast::OutOfRangeError);
  EXPECT_THROW(r[0]["b"], pgfast::OutOfRangeError);
  EXPECT_THROW(r[0].as<int>("A"), pgfast::OutOfRangeError);  // names are exact
  // Still catchable as the root type.
  EXPECT_THROW(r[0][7], pgfast::ClientError);
}

TEST(Result, UnsignedAndFloat) {
  const Result r = make_result({"v"}, {{"4294967295"}, {"-1"}, {"4294967296"}, {"1.5"}, {"1e40"}});
  EXPECT_EQ(r[0][0].as<unsigned>(), 4294967295u);
  EXPECT_THROW(r[1][0].as<unsigned>(), pgfast::ConversionError);
  EXPECT_THROW(r[2][0].as<unsigned>(), pgfast::ConversionError);
  EXPECT_EQ(r[2][0].as<unsigned long long>(), 4294967296ull);
  EXPECT_THROW(r[1][0].as<std::uint64_t>(), pgfast::ConversionError);
  EXPECT_EQ(r[3][0].as<float>(), 1.5f);
  EXPECT_THROW(r[4][0].as<float>(), pgfast::ConversionError);  // beyond float
  EXPECT_EQ(r[4][0].as<double>(), 1e40);
}

TEST(Result, ConversionMessageIsOneLineAndShort) {
  const std::string long_value = "line1\nline2" + std::string(500, 'x');
  const Result r = make_result({"v"}, {{long_value.c_str()}});
  try {
    r[0][0].as<int>();
    FAIL() << "converted";
  } catch (const pgfast::ConversionError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    EXPECT_NE(message.find("line1\\x0aline2"), std::string::npos) << message;
    EXPECT_LT(message.size(), 200u) << message;
  }
}

// --- text parsers -------------------------------------------------------------------------------

using TimePoint = std::chrono::system_clock::time_point;

std::optional<TimePoint> timestamp(std::string_view text) {
  TimePoint out;
  if (!pgfast::detail::FromText<TimePoint>::parse(text, out)) return std::nullopt;
  return out;
}

TimePoint unix_time(std::int64_t seconds, std::int64_t micros = 0) {
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(
      std::chrono::seconds(seconds) + std::chrono::microseconds(micros)));
}

TEST(ResultTimestamp, OffsetsAndFractions) {
  EXPECT_EQ(timestamp("1970-01-01 00:00:00+00"), unix_time(0));
  // 2024-05-01 07:00:00 UTC = 1714546800.
  EXPECT_EQ(timestamp("2024-05-01 12:30:00+05:30"), unix_time(1714546800));
  EXPECT_EQ(timestamp("2024-05-01 07:00:00+00"), unix_time(1714546800));
  EXPECT_EQ(timestamp("2024-05-01 12:30:00-08"), unix_time(1714595400));
  EXPECT_EQ(timestamp("2024-05-01 12:30:00-08:00"), unix_time(1714595400));
  EXPECT_EQ(timestamp("2024-05-01T07:00:00Z"), unix_time(1714546800));
  EXPECT_EQ(timestamp("2024-05-01 07:00:00.123456+00"), unix_time(1714546800, 123456));
  EXPECT_EQ(timestamp("2024-05-01 07:00:00.5+00"), unix_time(1714546800, 500000));
  EXPECT_EQ(timestamp("2024-05-01 07:00:00.000001"), unix_time(1714546800, 1));
  // An offset with seconds (historical local mean time zones).
  EXPECT_EQ(timestamp("1900-01-01 05:53:28+05:53:28"), unix_time(-2208988800));
  // Without a zone (timestamp, date): UTC.
  EXPECT_EQ(timestamp("2000-02-29 00:00:00"), unix_time(951782400));
  EXPECT_EQ(timestamp("2000-02-29"), unix_time(951782400));
  EXPECT_EQ(timestamp("1969-12-31 23:59:59.999999+00"), unix_time(-1, 999999));
}

TEST(ResultTimestamp, RejectsWhatIsNotAnInstant) {
  for (const char* text :
       {"infinity", "-infinity", "0044-03-15 00:00:00+00 BC", "2024-02-30 00:00:00",
        "2023-02-29 00:00:00", "2024-13-01 00:00:00", "2024-05-01 24:00:00", "2024-05-01 12:60:00",
        "2024-05-01 12:30", "2024-05-01 12:30:00+5", "2024-05-01 12:30:00 +05",
        "2024-05-01 12:30:00.+00", "2024-05-01 12:30:00+05:30x", "24-05-01", "", "now",
        // Beyond what std::chrono::system_clock (64-bit nanoseconds) holds.
        "9999-12-31 00:00:00+00", "1000-01-01 00:00:00+00"}) {
    EXPECT_EQ(timestamp(text), std::nullopt) << text;
  }
  const Result r = make_result({"t"}, {{"infinity"}});
  EXPECT_THROW(r[0][0].as<TimePoint>(), pgfast::ConversionError);
}

std::optional<pgfast::Bytes> bytea(std::string_view text) {
  pgfast::Bytes out;
  if (!pgfast::detail::FromText<pgfast::Bytes>::parse(text, out)) return std::nullopt;
  return out;
}

pgfast::Bytes bytes(std::initializer_list<int> values) {
  pgfast::Bytes out;
  for (int v : values) out.push_back(static_cast<std::byte>(v));
  return out;
}

TEST(ResultBytea, HexFormat) {
  EXPECT_EQ(bytea("\\x"), bytes({}));
  EXPECT_EQ(bytea("\\x00ff10"), bytes({0x00, 0xff, 0x10}));
  EXPECT_EQ(bytea("\\xABcd"), bytes({0xab, 0xcd}));
  EXPECT_EQ(bytea("\\x0"), std::nullopt);
  EXPECT_EQ(bytea("\\xzz"), std::nullopt);
}

TEST(ResultBytea, EscapeFormat) {
  EXPECT_EQ(bytea(""), bytes({}));
  EXPECT_EQ(bytea("ab"), bytes({'a', 'b'}));
  EXPECT_EQ(bytea("a\\\\b"), bytes({'a', '\\', 'b'}));
  EXPECT_EQ(bytea("\\000\\377\\012x"), bytes({0, 255, 10, 'x'}));
  EXPECT_EQ(bytea("\\400"), std::nullopt);
  EXPECT_EQ(bytea("\\1"), std::nullopt);
  EXPECT_EQ(bytea("x\\"), std::nullopt);
  EXPECT_EQ(bytea("\\08a"), std::nullopt);
}

TEST(Result, JsonAndOptionalTypes) {
  const Result r = make_result({"j", "b", "t"}, {{"{\"a\": [1, 2]}", "\\x0102", nullptr}});
  EXPECT_EQ(r[0]["j"].as<pgfast::Json>().text, "{\"a\": [1, 2]}");
  EXPECT_EQ(r[0]["b"].as<pgfast::Bytes>(), bytes({1, 2}));
  EXPECT_EQ(r[0]["t"].as<std::optional<TimePoint>>(), std::nullopt);
  EXPECT_THROW(r[0]["t"].as<TimePoint>(), pgfast::ConversionError);
  EXPECT_EQ(r.as_optional<pgfast::Bytes>(0, "b"), bytes({1, 2}));
}

}  // namespace
