// pgfast::Result: the rows of one statement (an owned PGresult), in PostgreSQL's text format, with
// Row and Field views for range-for and typed getters.
// Thread safety: a Result is immutable once returned; several threads may read one at a time
// (libpq's PGresult is read-only). It is independent of the connection: it may outlive the
// PooledConnection that produced it. Row and Field borrow the Result; must not outlive it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "pgfast/types.hpp"

struct pg_result;  // libpq's PGresult

namespace pgfast {

namespace detail {
// Text → T conversions behind as<T>(). Defined for the types listed below; other types do not
// compile. parse() returns false for text that is not a T (out of range included).
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
PGFAST_FROM_TEXT(unsigned);
PGFAST_FROM_TEXT(unsigned long);
PGFAST_FROM_TEXT(unsigned long long);
PGFAST_FROM_TEXT(double);
PGFAST_FROM_TEXT(float);
PGFAST_FROM_TEXT(bool);
PGFAST_FROM_TEXT(std::string);
PGFAST_FROM_TEXT(std::string_view);
// timestamptz / timestamp / date text in the ISO DateStyle ("2024-05-01 12:30:00.25+05:30");
// no offset means UTC. BC dates, infinity and instants the clock cannot hold are rejected.
PGFAST_FROM_TEXT(std::chrono::system_clock::time_point);
// bytea text in the hex ("\x0a0b") or escape ("a\\b\001") output format.
PGFAST_FROM_TEXT(Bytes);
PGFAST_FROM_TEXT(Json);
#undef PGFAST_FROM_TEXT

template <class T>
struct IsOptional : std::false_type {};
template <class T>
struct IsOptional<std::optional<T>> : std::true_type {};
}  // namespace detail

class Result;

// One value of a Result: a view (borrows the Result; must not outlive it).
class Field {
 public:
  Field(const Result& result, int row, int column) noexcept
      : result_(&result), row_(row), column_(column) {}

  bool is_null() const;
  // The text value; empty for NULL. Valid while the Result lives.
  std::string_view view() const;
  std::string_view name() const;
  int row() const noexcept { return row_; }
  int column() const noexcept { return column_; }

  // The value converted to T (see detail::FromText for the types); std::optional<T> gives
  // std::nullopt for NULL. Throws ConversionError on NULL into a non-optional or on text that is
  // not a T.
  template <class T>
  T as() const {
    if constexpr (detail::IsOptional<T>::value) {
      if (is_null()) return std::nullopt;
      return as<typename T::value_type>();
    } else {
      T out{};
      if (!detail::FromText<T>::parse(non_null(), out))
        conversion_failed(detail::FromText<T>::name);
      return out;
    }
  }

 private:
  std::string_view non_null() const;
  [[noreturn]] void conversion_failed(const char* type) const;

  const Result* result_;
  int row_;
  int column_;
};

// One row of a Result: a view (borrows the Result; must not outlive it).
class Row {
 public:
  Row(const Result& result, int row) noexcept : result_(&result), row_(row) {}

  // Columns; OutOfRangeError for an index outside the row or a name the result does not have.
  Field operator[](int column) const;
  Field operator[](std::string_view column) const;
  int size() const noexcept;
  int index() const noexcept { return row_; }

  template <class T>
  T as(int column) const {
    return (*this)[column].as<T>();
  }
  template <class T>
  T as(std::string_view column) const {
    return (*this)[column].as<T>();
  }

 private:
  const Result* result_;
  int row_;
};

class Result {
 public:
  Result() = default;
  // Takes ownership (PQclear on destruction).
  explicit Result(pg_result* result) noexcept;

  int rows() const noexcept;
  int columns() const noexcept;
  bool empty() const noexcept { return rows() == 0; }
  // Both throw OutOfRangeError when there is no such column (names match exactly).
  std::string_view column_name(int column) const;
  int column_index(std::string_view name) const;

  // Range-for over the rows: for (pgfast::Row row : result) { row["id"].as<long>(); }
  class const_iterator {
   public:
    using iterator_category = std::random_access_iterator_tag;
    using value_type = Row;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = Row;

    const_iterator() noexcept = default;
    const_iterator(const Result* result, int row) noexcept : result_(result), row_(row) {}
    Row operator*() const noexcept { return Row(*result_, row_); }
    Row operator[](difference_type n) const noexcept {
      return Row(*result_, row_ + static_cast<int>(n));
    }
    const_iterator& operator++() noexcept {
      ++row_;
      return *this;
    }
    const_iterator operator++(int) noexcept { return const_iterator(result_, row_++); }
    const_iterator& operator--() noexcept {
      --row_;
      return *this;
    }
    const_iterator operator--(int) noexcept { return const_iterator(result_, row_--); }
    const_iterator& operator+=(difference_type n) noexcept {
      row_ += static_cast<int>(n);
      return *this;
    }
    const_iterator& operator-=(difference_type n) noexcept { return *this += -n; }
    friend const_iterator operator+(const_iterator it, difference_type n) noexcept {
      return it += n;
    }
    friend const_iterator operator-(const_iterator it, difference_type n) noexcept {
      return it -= n;
    }
    friend difference_type operator-(const const_iterator& a, const const_iterator& b) noexcept {
      return a.row_ - b.row_;
    }
    friend bool operator==(const const_iterator& a, const const_iterator& b) noexcept {
      return a.row_ == b.row_;
    }
    friend bool operator!=(const const_iterator& a, const const_iterator& b) noexcept {
      return a.row_ != b.row_;
    }
    friend bool operator<(const const_iterator& a, const const_iterator& b) noexcept {
      return a.row_ < b.row_;
    }

   private:
    const Result* result_ = nullptr;
    int row_ = 0;
  };
  const_iterator begin() const noexcept { return const_iterator(this, 0); }
  const_iterator end() const noexcept { return const_iterator(this, rows()); }
  // A row; OutOfRangeError outside the result.
  Row operator[](int row) const;

  // Indexes are checked: OutOfRangeError when outside the result.
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

  // The value converted to T, as Field::as<T>() (ConversionError on NULL or text that is not a
  // T).
  template <class T>
  T as(int row, int column) const {
    check_index(row, column);
    return Field(*this, row, column).as<T>();
  }
  template <class T>
  T as(int row, std::string_view column) const {
    return as<T>(row, column_index(column));
  }
  // As as<T>(), but NULL gives std::nullopt (the same as as<std::optional<T>>()).
  template <class T>
  std::optional<T> as_optional(int row, int column) const {
    return as<std::optional<T>>(row, column);
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
  friend class Field;
  friend class Row;
  struct Deleter {
    void operator()(pg_result* r) const noexcept;
  };
  void check_index(int row, int column) const;
  void check_row(int row) const;

  std::unique_ptr<pg_result, Deleter> result_;
};

}  // namespace pgfast
