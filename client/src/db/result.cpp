#include "pgfast/db/result.hpp"

#include <libpq-fe.h>

#include <charconv>
#include <cstdlib>
#include <limits>

#include "pgfast/errors.hpp"

namespace pgfast {

namespace detail {

namespace {

template <class Number>
bool parse_number(std::string_view text, Number& out) noexcept {
  if (text.empty()) return false;
  const auto res = std::from_chars(text.data(), text.data() + text.size(), out);
  return res.ec == std::errc() && res.ptr == text.data() + text.size();
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

template <class Float>
bool parse_float(std::string_view text, Float& out) noexcept {
  // PostgreSQL prints these spellings for float4/float8 (and numeric NaN/Infinity).
  if (iequals(text, "NaN")) {
    out = std::numeric_limits<Float>::quiet_NaN();
    return true;
  }
  if (iequals(text, "Infinity") || iequals(text, "+Infinity")) {
    out = std::numeric_limits<Float>::infinity();
    return true;
  }
  if (iequals(text, "-Infinity")) {
    out = -std::numeric_limits<Float>::infinity();
    return true;
  }
  return parse_number(text, out);
}

// Reads the decimal digits at the front of `text` (between min_digits and max_digits of them)
// and advances past them.
bool take_digits(std::string_view& text, std::size_t min_digits, std::size_t max_digits,
                 std::int64_t& out) noexcept {
  std::size_t n = 0;
  while (n < text.size() && n < max_digits && text[n] >= '0' && text[n] <= '9') ++n;
  if (n < min_digits) return false;
  out = 0;
  for (std::size_t i = 0; i < n; ++i) out = out * 10 + (text[i] - '0');
  text.remove_prefix(n);
  return true;
}

bool take_char(std::string_view& text, char c) noexcept {
  if (text.empty() || text.front() != c) return false;
  text.remove_prefix(1);
  return true;
}

// Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (H. Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t y, std::int64_t m, std::int64_t d) noexcept {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

bool leap_year(std::int64_t y) noexcept {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

std::int64_t days_in_month(std::int64_t y, std::int64_t m) noexcept {
  static constexpr std::int64_t kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap_year(y) ? 29 : kDays[m - 1];
}

// "+05:30", "-08", "+05:53:28", "Z" → seconds east of UTC.
bool take_utc_offset(std::string_view& text, std::int64_t& seconds) noexcept {
  if (take_char(text, 'Z')) {
    seconds = 0;
    return true;
  }
  if (text.empty() || (text.front() != '+' && text.front() != '-')) return false;
  const std::int64_t sign = text.front() == '-' ? -1 : 1;
  text.remove_prefix(1);
  std::int64_t h = 0, m = 0, s = 0;
  if (!take_digits(text, 2, 2, h) || h > 15) return false;
  if (take_char(text, ':') && (!take_digits(text, 2, 2, m) || m > 59)) return false;
  if (take_char(text, ':') && (!take_digits(text, 2, 2, s) || s > 59)) return false;
  seconds = sign * (h * 3600 + m * 60 + s);
  return true;
}

// Seconds since the epoch and nanoseconds into that second, from ISO DateStyle text.
bool parse_timestamp(std::string_view text, std::int64_t& seconds, std::int64_t& nanos) noexcept {
  std::int64_t y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  // Up to 294276 AD; BC dates carry a " BC" suffix the parse below never accepts.
  if (!take_digits(text, 4, 6, y) || !take_char(text, '-') || !take_digits(text, 2, 2, mo) ||
      !take_char(text, '-') || !take_digits(text, 2, 2, d)) {
    return false;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo)) return false;
  nanos = 0;
  std::int64_t offset = 0;
  if (!text.empty()) {
    if (!take_char(text, ' ') && !take_char(text, 'T')) return false;
    if (!take_digits(text, 2, 2, h) || !take_char(text, ':') || !take_digits(text, 2, 2, mi) ||
        !take_char(text, ':') || !take_digits(text, 2, 2, s) || h > 23 || mi > 59 || s > 59) {
      return false;
    }
    if (take_char(text, '.')) {
      std::int64_t fraction = 0;
      const std::size_t before = text.size();
      if (!take_digits(text, 1, 9, fraction)) return false;
      for (std::size_t i = before - text.size(); i < 9; ++i) fraction *= 10;
      nanos = fraction;
    }
    if (!text.empty() && !take_utc_offset(text, offset)) return false;
  }
  if (!text.empty()) return false;
  seconds = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - offset;
  return true;
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool parse_bytea(std::string_view text, Bytes& out) {
  out.clear();
  if (text.size() >= 2 && text[0] == '\\' && text[1] == 'x') {
    text.remove_prefix(2);
    if (text.size() % 2 != 0) return false;
    out.reserve(text.size() / 2);
    for (std::size_t i = 0; i < text.size(); i += 2) {
      const int hi = hex_value(text[i]);
      const int lo = hex_value(text[i + 1]);
      if (hi < 0 || lo < 0) return false;
      out.push_back(static_cast<std::byte>(hi * 16 + lo));
    }
    return true;
  }
  // Escape format: bytes as themselves, "\\" for a backslash, "\ooo" (octal) for the others.
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out.push_back(static_cast<std::byte>(text[i]));
    } else if (i + 1 < text.size() && text[i + 1] == '\\') {
      out.push_back(static_cast<std::byte>('\\'));
      ++i;
    } else if (i + 3 < text.size() && text[i + 1] >= '0' && text[i + 1] <= '3' &&
               text[i + 2] >= '0' && text[i + 2] <= '7' && text[i + 3] >= '0' &&
               text[i + 3] <= '7') {
      out.push_back(static_cast<std::byte>((text[i + 1] - '0') * 64 + (text[i + 2] - '0') * 8 +
                                           (text[i + 3] - '0')));
      i += 3;
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace

const char* const FromText<int>::name = "int";
const char* const FromText<long>::name = "long";
const char* const FromText<long long>::name = "long long";
const char* const FromText<unsigned>::name = "unsigned";
const char* const FromText<unsigned long>::name = "unsigned long";
const char* const FromText<unsigned long long>::name = "unsigned long long";
const char* const FromText<double>::name = "double";
const char* const FromText<float>::name = "float";
const char* const FromText<bool>::name = "bool";
const char* const FromText<std::string>::name = "string";
const char* const FromText<std::string_view>::name = "string_view";
const char* const FromText<std::chrono::system_clock::time_point>::name = "time_point";
const char* const FromText<Bytes>::name = "Bytes";
const char* const FromText<Json>::name = "Json";

bool FromText<int>::parse(std::string_view text, int& out) noexcept {
  return parse_number(text, out);
}
bool FromText<long>::parse(std::string_view text, long& out) noexcept {
  return parse_number(text, out);
}
bool FromText<long long>::parse(std::string_view text, long long& out) noexcept {
  return parse_number(text, out);
}
bool FromText<unsigned>::parse(std::string_view text, unsigned& out) noexcept {
  return parse_number(text, out);
}
bool FromText<unsigned long>::parse(std::string_view text, unsigned long& out) noexcept {
  return parse_number(text, out);
}
bool FromText<unsigned long long>::parse(std::string_view text, unsigned long long& out) noexcept {
  return parse_number(text, out);
}

bool FromText<double>::parse(std::string_view text, double& out) noexcept {
  return parse_float(text, out);
}
bool FromText<float>::parse(std::string_view text, float& out) noexcept {
  return parse_float(text, out);
}

bool FromText<bool>::parse(std::string_view text, bool& out) noexcept {
  // Server output is "t"/"f"; the long forms cover text columns holding booleans.
  if (text == "t" || text == "true") {
    out = true;
    return true;
  }
  if (text == "f" || text == "false") {
    out = false;
    return true;
  }
  return false;
}

bool FromText<std::string>::parse(std::string_view text, std::string& out) noexcept {
  try {
    out.assign(text);
  } catch (...) {
    return false;
  }
  return true;
}

bool FromText<std::string_view>::parse(std::string_view text, std::string_view& out) noexcept {
  out = text;
  return true;
}

bool FromText<std::chrono::system_clock::time_point>::parse(
    std::string_view text, std::chrono::system_clock::time_point& out) noexcept {
  using Clock = std::chrono::system_clock;
  std::int64_t seconds = 0, nanos = 0;
  if (!parse_timestamp(text, seconds, nanos)) return false;
  // libstdc++'s system_clock counts nanoseconds in 64 bits: about years 1678 to 2262.
  const std::int64_t limit =
      std::chrono::duration_cast<std::chrono::seconds>(Clock::duration::max()).count() - 1;
  if (seconds > limit || seconds < -limit) return false;
  out = Clock::time_point(
      std::chrono::duration_cast<Clock::duration>(std::chrono::seconds(seconds)) +
      std::chrono::duration_cast<Clock::duration>(std::chrono::nanoseconds(nanos)));
  return true;
}

bool FromText<Bytes>::parse(std::string_view text, Bytes& out) noexcept {
  try {
    return parse_bytea(text, out);
  } catch (...) {
    return false;
  }
}

bool FromText<Json>::parse(std::string_view text, Json& out) noexcept {
  return FromText<std::string>::parse(text, out.text);
}

}  // namespace detail

void Result::Deleter::operator()(pg_result* r) const noexcept {
  PQclear(r);
}

Result::Result(pg_result* result) noexcept : result_(result) {}

int Result::rows() const noexcept {
  return result_ ? PQntuples(result_.get()) : 0;
}

int Result::columns() const noexcept {
  return result_ ? PQnfields(result_.get()) : 0;
}

namespace {

// `text` quoted for a one-line message: control characters escaped, long values cut.
std::string quoted_excerpt(std::string_view text) {
  constexpr std::size_t kMax = 64;
  std::string out = "\"";
  for (std::size_t i = 0; i < text.size() && i < kMax; ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  out += text.size() > kMax ? "\"..." : "\"";
  return out;
}

}  // namespace

std::string_view Result::column_name(int column) const {
  if (column < 0 || column >= columns()) {
    throw OutOfRangeError("pgfast::Result: column " + std::to_string(column) + " out of range (" +
                          std::to_string(columns()) + " columns)");
  }
  return PQfname(result_.get(), column);
}

int Result::column_index(std::string_view name) const {
  // Exact, case-sensitive match on the name the server returned (PQfnumber would apply SQL
  // identifier folding rules to the argument).
  for (int c = 0; c < columns(); ++c) {
    if (name == PQfname(result_.get(), c)) return c;
  }
  throw OutOfRangeError("pgfast::Result: no column named " + quoted_excerpt(name));
}

void Result::check_row(int row) const {
  if (row < 0 || row >= rows()) {
    throw OutOfRangeError("pgfast::Result: row " + std::to_string(row) + " out of range (" +
                          std::to_string(rows()) + " rows)");
  }
}

void Result::check_index(int row, int column) const {
  if (row < 0 || row >= rows() || column < 0 || column >= columns()) {
    throw OutOfRangeError("pgfast::Result: cell (" + std::to_string(row) + ", " +
                          std::to_string(column) + ") out of range (" + std::to_string(rows()) +
                          " rows, " + std::to_string(columns()) + " columns)");
  }
}

Row Result::operator[](int row) const {
  check_row(row);
  return Row(*this, row);
}

bool Result::is_null(int row, int column) const {
  check_index(row, column);
  return PQgetisnull(result_.get(), row, column) != 0;
}

std::string_view Result::get(int row, int column) const {
  check_index(row, column);
  return std::string_view(PQgetvalue(result_.get(), row, column),
                          static_cast<std::size_t>(PQgetlength(result_.get(), row, column)));
}

std::optional<std::string> Result::get_optional(int row, int column) const {
  if (is_null(row, column)) return std::nullopt;
  return std::string(get(row, column));
}

Field Row::operator[](int column) const {
  result_->check_index(row_, column);
  return Field(*result_, row_, column);
}

Field Row::operator[](std::string_view column) const {
  return Field(*result_, row_, result_->column_index(column));
}

int Row::size() const noexcept {
  return result_->columns();
}

bool Field::is_null() const {
  return result_->is_null(row_, column_);
}

std::string_view Field::view() const {
  return result_->get(row_, column_);
}

std::string_view Field::name() const {
  return result_->column_name(column_);
}

std::string_view Field::non_null() const {
  if (is_null()) {
    throw ConversionError("pgfast::Result: column \"" + std::string(name()) + "\" row " +
                          std::to_string(row_) +
                          " is NULL (read it as std::optional<T> to accept NULL)");
  }
  return view();
}

void Field::conversion_failed(const char* type) const {
  throw ConversionError("pgfast::Result: column \"" + std::string(name()) + "\" row " +
                        std::to_string(row_) + ": cannot convert " + quoted_excerpt(view()) +
                        " to " + type);
}

std::uint64_t Result::affected_rows() const noexcept {
  if (!result_) return 0;
  const char* text = PQcmdTuples(result_.get());
  if (text == nullptr || *text == '\0') return 0;
  return std::strtoull(text, nullptr, 10);
}

std::string_view Result::command_tag() const noexcept {
  if (!result_) return {};
  const char* tag = PQcmdStatus(result_.get());
  return tag == nullptr ? std::string_view() : std::string_view(tag);
}

}  // namespace pgfast
