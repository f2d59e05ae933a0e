// Result's typed getters on values the real server prints: every supported type read through
// range-for (Row / Field), NULLs through std::optional, and server settings that change the text
// (TimeZone, bytea_output).
#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pgfast/db/connection.hpp"
#include "pgfast/errors.hpp"
#include "pgfast/db/result.hpp"
#include "test_env.hpp"

namespace {

using TimePoint = std::chrono::system_clock::time_point;

TimePoint unix_time(std::int64_t seconds, std::int64_t micros = 0) {
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(
      std::chrono::seconds(seconds) + std::chrono::microseconds(micros)));
}

pgfast::Bytes bytes(std::initializer_list<int> values) {
  pgfast::Bytes out;
  for (int v : values) out.push_back(static_cast<std::byte>(v));
  return out;
}

class ResultTypes : public ::testing::Test {
 protected:
  ResultTypes() : conn_(pgfast_test::database_url()) {}
  pgfast::Connection conn_;
};

TEST_F(ResultTypes, EveryTypeThroughRangeFor) {
  // A zone with a half-hour offset, so timestamptz text carries "+05:30".
  conn_.execute("SET TimeZone = 'Asia/Kolkata'");
  const pgfast::Result r = conn_.execute(
      "SELECT * FROM (VALUES "
      "(1, 9223372036854775807::int8, 4294967295::oid, 1.5::float4, -2.25::float8, true, "
      " 'héllo'::text, timestamptz '2024-05-01 07:00:00.123456+00', "
      " timestamp '2024-05-01 07:00:00', date '2000-02-29', '\\x00ff0a'::bytea, "
      " '{\"a\": [1, 2]}'::jsonb, '[1,2]'::json), "
      "(2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)) "
      "AS v(i, big, o, f4, f8, b, t, tz, ts, d, bin, jb, js) ORDER BY i");
  int seen = 0;
  for (pgfast::Row row : r) {
    ++seen;
    if (row["i"].as<int>() == 1) {
      EXPECT_EQ(row["big"].as<long long>(), 9223372036854775807LL);
      EXPECT_EQ(row["o"].as<unsigned>(), 4294967295u);
      EXPECT_EQ(row["f4"].as<float>(), 1.5f);
      EXPECT_EQ(row["f8"].as<double>(), -2.25);
      EXPECT_TRUE(row["b"].as<bool>());
      EXPECT_EQ(row["t"].as<std::string>(), "héllo");
      EXPECT_EQ(row["tz"].view(), "2024-05-01 12:30:00.123456+05:30");
      EXPECT_EQ(row["tz"].as<TimePoint>(), unix_time(1714546800, 123456));
      EXPECT_EQ(row["ts"].as<TimePoint>(), unix_time(1714546800));  // no zone: UTC
      EXPECT_EQ(row["d"].as<TimePoint>(), unix_time(951782400));
      EXPECT_EQ(row["bin"].as<pgfast::Bytes>(), bytes({0x00, 0xff, 0x0a}));
      EXPECT_EQ(row["jb"].as<pgfast::Json>().text, "{\"a\": [1, 2]}");
      EXPECT_EQ(row["js"].as<pgfast::Json>().text, "[1,2]");
    } else {
      for (int c = 1; c < row.size(); ++c) EXPECT_TRUE(row[c].is_null()) << row[c].name();
      EXPECT_EQ(row["big"].as<std::optional<long long>>(), std::nullopt);
      EXPECT_EQ(row["o"].as<std::optional<unsigned>>(), std::nullopt);
      EXPECT_EQ(row["tz"].as<std::optional<TimePoint>>(), std::nullopt);
      EXPECT_EQ(row["bin"].as<std::optional<pgfast::Bytes>>(), std::nullopt);
      EXPECT_EQ(row["jb"].as<std::optional<pgfast::Json>>().has_value(), false);
      EXPECT_THROW(row["tz"].as<TimePoint>(), pgfast::ConversionError);
    }
  }
  EXPECT_EQ(seen, 2);
}

TEST_F(ResultTypes, TimestamptzInOtherZonesAndOutOfRangeValues) {
  conn_.execute("SET TimeZone = 'America/Los_Angeles'");
  const pgfast::Result r = conn_.execute(
      "SELECT timestamptz '2024-01-15 20:30:00+00', timestamptz '1960-06-01 00:00:00.5+00', "
      "timestamptz 'infinity', timestamptz '0044-03-15 12:00:00+00 BC', "
      "timestamptz '5000-01-01 00:00:00+00'");
  EXPECT_EQ(r[0][0].view(), "2024-01-15 12:30:00-08");
  // 2024-01-15 20:30:00 UTC.
  EXPECT_EQ(r[0][0].as<TimePoint>(), unix_time(1705350600));
  EXPECT_EQ(r[0][1].as<TimePoint>(), unix_time(-302486400, 500000));
  EXPECT_THROW(r[0][2].as<TimePoint>(), pgfast::ConversionError);  // infinity
  EXPECT_THROW(r[0][3].as<TimePoint>(), pgfast::ConversionError);  // BC
  EXPECT_THROW(r[0][4].as<TimePoint>(), pgfast::ConversionError);  // beyond system_clock
}

TEST_F(ResultTypes, ByteaInBothOutputFormats) {
  const std::string sql = "SELECT '\\x005c4142ff'::bytea, ''::bytea";
  const pgfast::Bytes expected = bytes({0x00, 0x5c, 0x41, 0x42, 0xff});
  conn_.execute("SET bytea_output = 'hex'");
  pgfast::Result r = conn_.execute(sql);
  EXPECT_EQ(r[0][0].view(), "\\x005c4142ff");
  EXPECT_EQ(r[0][0].as<pgfast::Bytes>(), expected);
  EXPECT_EQ(r[0][1].as<pgfast::Bytes>(), bytes({}));
  conn_.execute("SET bytea_output = 'escape'");
  r = conn_.execute(sql);
  EXPECT_EQ(r[0][0].view(), "\\000\\\\AB\\377");
  EXPECT_EQ(r[0][0].as<pgfast::Bytes>(), expected);
  EXPECT_EQ(r[0][1].as<pgfast::Bytes>(), bytes({}));
}

TEST_F(ResultTypes, WrongTypeAndUnknownColumn) {
  const pgfast::Result r = conn_.execute("SELECT 'abc'::text AS t, -1 AS n");
  EXPECT_THROW(r[0]["t"].as<int>(), pgfast::ConversionError);
  EXPECT_THROW(r[0]["n"].as<unsigned>(), pgfast::ConversionError);
  EXPECT_THROW(r[0]["missing"], pgfast::OutOfRangeError);
  EXPECT_THROW(r[1], pgfast::OutOfRangeError);
}

TEST_F(ResultTypes, ParametersOfTheSameTypesRoundTrip) {
  conn_.execute("SET TimeZone = 'Asia/Kolkata'");
  const TimePoint t = unix_time(1714546800, 123456);
  const pgfast::Bytes data = bytes({0x00, 0x5c, 0xff});
  const pgfast::Result r =
      conn_.execute("SELECT $1::timestamptz, $2::bytea, $3::jsonb, $1::timestamptz = $4",
                    pgfast::params(t, data, pgfast::Json{"{\"k\": [true]}"},
                                   std::string("2024-05-01 12:30:00.123456+05:30")));
  EXPECT_EQ(r[0][0].as<TimePoint>(), t);
  EXPECT_EQ(r[0][1].as<pgfast::Bytes>(), data);
  EXPECT_EQ(r[0][2].as<pgfast::Json>().text, "{\"k\": [true]}");
  EXPECT_TRUE(r[0][3].as<bool>());
}

}  // namespace
