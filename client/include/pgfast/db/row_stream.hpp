// pgfast::RowStream: the rows of one statement read one at a time as they arrive (libpq single-row
// mode), for range-for; memory stays bounded by one row whatever the result size.
//   pgfast::RowStream rows(connection, "SELECT id FROM big WHERE x = $1", pgfast::params(7));
//   for (pgfast::Row row : rows) { if (done(row)) break; }
// Leaving early (break, an exception) cancels the statement and drains the connection when the
// stream is destroyed: the connection is usable again (an open transaction is aborted if the
// cancel reached the statement before it finished). A server error mid-stream is thrown by the
// increment that meets it, after the rows before it. Each row is a one-row Result of its own, so
// Row::index() is 0; count() numbers them.
// Borrows the connection; must not outlive it, and nothing else may use the connection until the
// stream is destroyed. Not thread-safe; neither copyable nor movable.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string_view>

#include "pgfast/db/connection.hpp"
#include "pgfast/db/params.hpp"
#include "pgfast/db/result.hpp"

namespace pgfast {

class RowStream {
 public:
  // Sends the statement; reads up to its first row (so an error before any row throws here).
  RowStream(Connection& connection, std::string_view sql, const Params& params = {});
  ~RowStream();
  RowStream(const RowStream&) = delete;
  RowStream& operator=(const RowStream&) = delete;

  // A single-pass input iterator; the Row it gives is valid until the next increment.
  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = Row;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = Row;

    iterator() noexcept = default;
    explicit iterator(RowStream* stream) noexcept : stream_(stream) {}
    Row operator*() const noexcept { return Row(stream_->current_, 0); }
    iterator& operator++() {
      stream_->advance();
      return *this;
    }
    void operator++(int) { ++*this; }
    friend bool operator==(const iterator& a, const iterator& b) noexcept {
      return a.at_end() == b.at_end();
    }
    friend bool operator!=(const iterator& a, const iterator& b) noexcept { return !(a == b); }

   private:
    bool at_end() const noexcept { return stream_ == nullptr || stream_->finished(); }
    RowStream* stream_ = nullptr;
  };

  iterator begin() noexcept { return iterator(this); }
  iterator end() noexcept { return iterator(); }

  // Rows read so far (the current one included).
  std::uint64_t count() const noexcept { return count_; }
  // No row is current: every row was read (or an error ended the stream).
  bool finished() const noexcept { return current_.native_handle() == nullptr; }

 private:
  void advance();

  Connection& conn_;
  Result current_;
  std::uint64_t count_ = 0;
  bool drained_ = false;  // the statement's results were all read
};

}  // namespace pgfast
