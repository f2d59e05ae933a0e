#include "pgfast/db/params.hpp"

#include <cmath>
#include <cstdint>
#include <cstdio>

namespace pgfast {

ParamValue format_double(double value) {
  if (std::isnan(value)) return std::string("NaN");
  if (std::isinf(value)) return std::string(value > 0 ? "Infinity" : "-Infinity");
  char buf[32];
  const auto res = std::to_chars(buf, buf + sizeof buf, value);
  return std::string(buf, res.ptr);
}

namespace {

// 1970-01-01 + days → year, month, day (proleptic Gregorian; H. Hinnant's algorithm).
void civil_from_days(std::int64_t z, std::int64_t& y, int& m, int& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  y = yoe + era * 400 + (m <= 2 ? 1 : 0);
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return a / b - ((a % b != 0 && (a < 0) != (b < 0)) ? 1 : 0);
}

}  // namespace

ParamValue to_param(Timestamp value) {
  const std::int64_t seconds = floor_div(value.unix_micros, 1000000);
  const std::int64_t micros = value.unix_micros - seconds * 1000000;
  const std::int64_t days = floor_div(seconds, 86400);
  const std::int64_t second_of_day = seconds - days * 86400;
  std::int64_t year = 0;
  int month = 0, day = 0;
  civil_from_days(days, year, month, day);
  char buf[64];
  // Years before 1 AD would need " BC"; a 64-bit microsecond count never reaches them.
  const int n = std::snprintf(
      buf, sizeof buf, "%04lld-%02d-%02d %02d:%02d:%02d.%06d+00", static_cast<long long>(year),
      month, day, static_cast<int>(second_of_day / 3600), static_cast<int>(second_of_day / 60 % 60),
      static_cast<int>(second_of_day % 60), static_cast<int>(micros));
  return std::string(buf, static_cast<std::size_t>(n));
}

ParamValue to_param(std::chrono::system_clock::time_point value) {
  return to_param(
      Timestamp{std::chrono::floor<std::chrono::microseconds>(value.time_since_epoch()).count()});
}

ParamValue to_param(const Bytes& value) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\\x";
  out.reserve(2 + value.size() * 2);
  for (std::byte b : value) {
    const auto v = std::to_integer<unsigned>(b);
    out += kHex[v >> 4];
    out += kHex[v & 15];
  }
  return out;
}

ParamValue to_param(const Json& value) {
  return value.text;
}

std::string array_literal(const std::vector<std::string>& items) {
  std::string out = "{";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (char c : items[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

}  // namespace pgfast
