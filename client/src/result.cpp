#include "pgfast/result.hpp"

#include <libpq-fe.h>

#include <charconv>
#include <cstdlib>
#include <limits>
#include <stdexcept>

#include "pgfast/errors.hpp"

namespace pgfast {

namespace detail {

namespace {

template <class Int>
bool parse_integer(std::string_view text, Int& out) noexcept {
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

}  // namespace

const char* const FromText<int>::name = "int";
const char* const FromText<long>::name = "long";
const char* const FromText<long long>::name = "long long";
const char* const FromText<double>::name = "double";
const char* const FromText<bool>::name = "bool";
const char* const FromText<std::string>::name = "string";
const char* const FromText<std::string_view>::name = "string_view";

bool FromText<int>::parse(std::string_view text, int& out) noexcept {
  return parse_integer(text, out);
}
bool FromText<long>::parse(std::string_view text, long& out) noexcept {
  return parse_integer(text, out);
}
bool FromText<long long>::parse(std::string_view text, long long& out) noexcept {
  return parse_integer(text, out);
}

bool FromText<double>::parse(std::string_view text, double& out) noexcept {
  // PostgreSQL prints these spellings for float4/float8 (and numeric NaN/Infinity).
  if (iequals(text, "NaN")) {
    out = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  if (iequals(text, "Infinity") || iequals(text, "+Infinity")) {
    out = std::numeric_limits<double>::infinity();
    return true;
  }
  if (iequals(text, "-Infinity")) {
    out = -std::numeric_limits<double>::infinity();
    return true;
  }
  if (text.empty()) return false;
  const auto res = std::from_chars(text.data(), text.data() + text.size(), out);
  return res.ec == std::errc() && res.ptr == text.data() + text.size();
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

std::string_view Result::column_name(int column) const {
  if (column < 0 || column >= columns()) {
    throw std::out_of_range("pgfast::Result: column " + std::to_string(column) + " out of range (" +
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
  throw std::out_of_range("pgfast::Result: no column named \"" + std::string(name) + "\"");
}

void Result::check_index(int row, int column) const {
  if (row < 0 || row >= rows() || column < 0 || column >= columns()) {
    throw std::out_of_range("pgfast::Result: cell (" + std::to_string(row) + ", " +
                            std::to_string(column) + ") out of range (" + std::to_string(rows()) +
                            " rows, " + std::to_string(columns()) + " columns)");
  }
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

std::string_view Result::non_null(int row, int column) const {
  if (is_null(row, column)) {
    throw ClientError("pgfast::Result: column \"" + std::string(column_name(column)) + "\" row " +
                      std::to_string(row) + " is NULL");
  }
  return get(row, column);
}

void Result::conversion_failed(int row, int column, const char* type) const {
  throw ClientError("pgfast::Result: column \"" + std::string(column_name(column)) + "\" row " +
                    std::to_string(row) + ": cannot convert \"" + std::string(get(row, column)) +
                    "\" to " + type);
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
