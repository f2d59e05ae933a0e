// pgfast::params(): C++ values to PostgreSQL text-format parameters.
#include "pgfast/db/params.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "pgfast/db/result.hpp"

namespace {

using pgfast::Params;
using pgfast::params;

TEST(Params, EmptyByDefault) {
  EXPECT_TRUE(Params().empty());
  EXPECT_EQ(params().size(), 0u);
}

TEST(Params, Integers) {
  const Params p = params(0, -1, 42u, std::int64_t{9223372036854775807LL},
                          std::numeric_limits<std::int64_t>::min(), short{-7},
                          std::uint64_t{18446744073709551615ULL});
  ASSERT_EQ(p.size(), 7u);
  EXPECT_EQ(p[0], "0");
  EXPECT_EQ(p[1], "-1");
  EXPECT_EQ(p[2], "42");
  EXPECT_EQ(p[3], "9223372036854775807");
  EXPECT_EQ(p[4], "-9223372036854775808");
  EXPECT_EQ(p[5], "-7");
  EXPECT_EQ(p[6], "18446744073709551615");
}

TEST(Params, BooleansAsPostgresWords) {
  const Params p = params(true, false);
  EXPECT_EQ(p[0], "true");
  EXPECT_EQ(p[1], "false");
}

TEST(Params, NullsFromNulloptNullptrAndEmptyOptional) {
  const char* no_text = nullptr;
  const Params p = params(std::nullopt, nullptr, std::optional<int>(), no_text,
                          std::optional<std::string>("x"), std::optional<int>(5));
  EXPECT_EQ(p[0], std::nullopt);
  EXPECT_EQ(p[1], std::nullopt);
  EXPECT_EQ(p[2], std::nullopt);
  EXPECT_EQ(p[3], std::nullopt);
  EXPECT_EQ(p[4], "x");
  EXPECT_EQ(p[5], "5");
  EXPECT_EQ(Params().add_null().size(), 1u);
}

TEST(Params, Strings) {
  std::string owned = "owned";
  const std::string_view view = std::string_view("view-and-more").substr(0, 4);
  const Params p = params("literal", owned, std::string("temporary"), view, 'c', "");
  EXPECT_EQ(p[0], "literal");
  EXPECT_EQ(p[1], "owned");
  EXPECT_EQ(owned, "owned");  // copied, not moved from
  EXPECT_EQ(p[2], "temporary");
  EXPECT_EQ(p[3], "view");
  EXPECT_EQ(p[4], "c");
  EXPECT_EQ(p[5], "");  // the empty string is not NULL
}

TEST(Params, UnicodeAndEmbeddedQuotesPassUnchanged) {
  const Params p = params("Zoë's \"café\" — 東京");
  EXPECT_EQ(p[0], "Zoë's \"café\" — 東京");
}

TEST(Params, DoublesRoundTripThroughText) {
  for (double v : {0.0, -0.0, 2.5, 0.1, 1.0 / 3.0, -1e-300, 1e300, 6.02214076e23,
                   std::numeric_limits<double>::min(), std::numeric_limits<double>::max(),
                   std::numeric_limits<double>::denorm_min()}) {
    const std::optional<std::string> text = params(v)[0];
    ASSERT_TRUE(text);
    double back = 0;
    ASSERT_TRUE(pgfast::detail::FromText<double>::parse(*text, back)) << *text;
    EXPECT_EQ(back, v) << *text;
    EXPECT_EQ(std::signbit(back), std::signbit(v)) << *text;
  }
  EXPECT_EQ(params(2.5)[0], "2.5");
  EXPECT_EQ(params(2.5f)[0], "2.5");
}

TEST(Params, NonFiniteDoublesUsePostgresSpelling) {
  const Params p =
      params(std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
             std::numeric_limits<double>::quiet_NaN());
  EXPECT_EQ(p[0], "Infinity");
  EXPECT_EQ(p[1], "-Infinity");
  EXPECT_EQ(p[2], "NaN");
}

TEST(Params, MixedVariadicCall) {
  const Params p = params(1, "x", std::nullopt, 2.5, true, std::string_view("sv"));
  ASSERT_EQ(p.size(), 6u);
  EXPECT_EQ(p[0], "1");
  EXPECT_EQ(p[1], "x");
  EXPECT_EQ(p[2], std::nullopt);
  EXPECT_EQ(p[3], "2.5");
  EXPECT_EQ(p[4], "true");
  EXPECT_EQ(p[5], "sv");
}

TEST(Params, AddChains) {
  Params p;
  p.add(1).add("two").add_null();
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[1], "two");
  EXPECT_EQ(p[2], std::nullopt);
}

}  // namespace

// A user type made into a parameter through ADL.
namespace app {
struct UserId {
  int value;
};
std::optional<std::string> to_param(const UserId& id) {
  return "user-" + std::to_string(id.value);
}
}  // namespace app

namespace {
TEST(Params, UserTypesThroughAdl) {
  const Params p = params(app::UserId{7}, 3);
  EXPECT_EQ(p[0], "user-7");
  EXPECT_EQ(p[1], "3");
}
}  // namespace

TEST(ArrayLiteral, QuotesEveryElementAndEscapesQuotesAndBackslashes) {
  EXPECT_EQ(pgfast::array_literal({}), "{}");
  EXPECT_EQ(pgfast::array_literal({"a", "b c"}), "{\"a\",\"b c\"}");
  EXPECT_EQ(pgfast::array_literal({"say \"hi\"", "back\\slash", "{,}"}),
            "{\"say \\\"hi\\\"\",\"back\\\\slash\",\"{,}\"}");
}

namespace {

using pgfast::params;

TEST(Params, BytesAsByteaHex) {
  const pgfast::Bytes data = {std::byte{0x00}, std::byte{0xff}, std::byte{0x5c}, std::byte{0x0a}};
  EXPECT_EQ(params(data)[0], "\\x00ff5c0a");
  EXPECT_EQ(params(pgfast::Bytes{})[0], "\\x");
  // Reads back through Result's parser.
  pgfast::Bytes back;
  ASSERT_TRUE(pgfast::detail::FromText<pgfast::Bytes>::parse(*params(data)[0], back));
  EXPECT_EQ(back, data);
}

TEST(Params, InstantsAsUtcTextWithMicroseconds) {
  using Clock = std::chrono::system_clock;
  const Clock::time_point t =
      Clock::time_point(std::chrono::seconds(1714546800) + std::chrono::microseconds(123456));
  EXPECT_EQ(params(t)[0], "2024-05-01 07:00:00.123456+00");
  EXPECT_EQ(params(pgfast::Timestamp{0})[0], "1970-01-01 00:00:00.000000+00");
  // Before the epoch: floor, not truncation toward zero.
  EXPECT_EQ(params(pgfast::Timestamp{-1})[0], "1969-12-31 23:59:59.999999+00");
  EXPECT_EQ(params(pgfast::Timestamp{951782400000000LL})[0], "2000-02-29 00:00:00.000000+00");
  EXPECT_EQ(params(pgfast::Timestamp{-2208988800000000LL})[0], "1900-01-01 00:00:00.000000+00");
  // Sub-microsecond precision is dropped toward the past.
  EXPECT_EQ(params(Clock::time_point(std::chrono::nanoseconds(-1)))[0],
            "1969-12-31 23:59:59.999999+00");
  for (std::int64_t micros : {0LL, 1LL, -1LL, 1714546800123456LL, -302486399500000LL}) {
    Clock::time_point back;
    ASSERT_TRUE(pgfast::detail::FromText<Clock::time_point>::parse(
        *params(pgfast::Timestamp{micros})[0], back));
    EXPECT_EQ(
        std::chrono::duration_cast<std::chrono::microseconds>(back.time_since_epoch()).count(),
        micros);
  }
}

TEST(Params, JsonText) {
  EXPECT_EQ(params(pgfast::Json{"{\"a\": 1}"})[0], "{\"a\": 1}");
}

}  // namespace
