// pgfast::Result: the rows of one statement (an owned PGresult), in PostgreSQL's text format.
// Independent of the connection once returned: it may outlive the lease that produced it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

struct pg_result;  // libpq's PGresult

namespace pgfast {

namespace detail {
// Text → T conversions used by Result::as<T>(). Defined for int, long, long long, double, bool,
// std::string and std::string_view; other types do not compile.
template <class T>
struct FromText;
#define PGFAST_FROM_TEXT(T)                                    \
  template <>                                                  \
  struct FromText<T> {                                         \
    static const char* const name;                             \
    static bool parse(std::string_view text, T& out) noexcept; \
  }
PGFAST_FROM_TEXT(int);
PGFAST_FROM_TEXT(long);
PGFAST_FROM_TEXT(long long);
PGFAST_FROM_TEXT(double);
PGFAST_FROM_TEXT(bool);
PGFAST_FROM_TEXT(std::string);
PGFAST_FROM_TEXT(std::string_view);
#undef PGFAST_FROM_TEXT
}  // namespace detail

class Result {
 public:
  Result() = default;
  // Takes ownership (PQclear on destruction).
  explicit Result(pg_result* result) noexcept;

  int rows() const noexcept;
  int columns() const noexcept;
  bool empty() const noexcept { return rows() == 0; }
  std::string_view column_name(int column) const;
  // Throws std::out_of_range when there is no such column.
  int column_index(std::string_view name) const;

  // Indexes are checked: std::out_of_range when outside the result.
  bool is_null(int row, int column) const;
  // The text value; empty for NULL (use is_null() or get_optional() to tell them apart). Valid
  // while this Result lives.
  std::string_view get(int row, int column) const;
  std::string_view get(int row, std::string_view column) const {
    return get(row, column_index(column));
  }
  std::optional<std::string> get_optional(int row, int column) const;
  std::optional<std::string> get_optional(int row, std::string_view column) const {
    return get_optional(row, column_index(column));
  }

  // The value converted to T (int, long/std::int64_t, long long, double, bool, std::string,
  // std::string_view). Throws ClientError on NULL or on text that is not a T.
  template <class T>
  T as(int row, int column) const {
    T out{};
    if (!detail::FromText<T>::parse(non_null(row, column), out)) {
      conversion_failed(row, column, detail::FromText<T>::name);
    }
    return out;
  }
  template <class T>
  T as(int row, std::string_view column) const {
    return as<T>(row, column_index(column));
  }
  // As as<T>(), but NULL gives std::nullopt.
  template <class T>
  std::optional<T> as_optional(int row, int column) const {
    if (is_null(row, column)) return std::nullopt;
    return as<T>(row, column);
  }
  template <class T>
  std::optional<T> as_optional(int row, std::string_view column) const {
    return as_optional<T>(row, column_index(column));
  }

  // Rows inserted/updated/deleted/selected/copied (PQcmdTuples); 0 for other commands.
  std::uint64_t affected_rows() const noexcept;
  // The command tag, e.g. "INSERT 0 3".
  std::string_view command_tag() const noexcept;

  pg_result* native_handle() const noexcept { return result_.get(); }

 private:
  struct Deleter {
    void operator()(pg_result* r) const noexcept;
  };
  void check_index(int row, int column) const;
  std::string_view non_null(int row, int column) const;
  [[noreturn]] void conversion_failed(int row, int column, const char* type) const;

  std::unique_ptr<pg_result, Deleter> result_;
};

}  // namespace pgfast
