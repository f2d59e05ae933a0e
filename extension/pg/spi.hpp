// SPI through the call guard: connect/finish as RAII, statements with parameters as guarded calls,
// result values copied out as C++ strings.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pg/postgres.hpp"

extern "C" {
#include "executor/spi.h"
}

namespace pgfast::pg {

// Parameters of one statement ($1, $2, ...). Pass-by-reference Datums must live in a memory
// context that outlasts the statement (the caller's per-call context).
class SpiArgs {
 public:
  // Adds a parameter and returns its number n (for "$n").
  int add(Oid type, Datum value, bool is_null = false);
  // A text parameter, copied into a palloc'd text Datum.
  int add_text(const std::string& value);

  int count() const noexcept { return static_cast<int>(types_.size()); }
  Oid* types() noexcept { return types_.data(); }
  Datum* values() noexcept { return values_.data(); }
  const char* nulls() const noexcept { return nulls_.data(); }

 private:
  std::vector<Oid> types_;
  std::vector<Datum> values_;
  std::vector<char> nulls_;  // SPI's convention: 'n' for NULL, ' ' otherwise
};

// Memory allocated while the session is connected (Datums it returns, pallocs in between) is
// SPI's and is freed by SPI_finish: build what a SQL function returns after the session ends, or
// copy it into the caller's context.
class SpiSession {
 public:
  SpiSession();
  // nonatomic: SPI_OPT_NONATOMIC, for procedures called by a top-level CALL that commit
  // (SPI_commit) between statements.
  explicit SpiSession(bool nonatomic);
  // Finishes SPI on the normal path. While an exception unwinds, SPI is left to the transaction
  // abort that follows (AtEOXact_SPI), as calling into it is unsafe then; only the caller's memory
  // context is put back (SPI_connect had switched to SPI's own).
  ~SpiSession();
  SpiSession(const SpiSession&) = delete;
  SpiSession& operator=(const SpiSession&) = delete;

  // Runs `sql`; returns the number of rows processed. Results stay readable through the
  // accessors below until the next statement or the end of the session. A read_only statement
  // runs on the caller's snapshot and does not see what earlier statements of this session
  // wrote: use read_only = false after writing.
  uint64_t execute(const std::string& sql, bool read_only, long max_rows = 0);
  uint64_t execute(const std::string& sql, SpiArgs& args, bool read_only, long max_rows = 0);
  // Like execute, with the plan prepared once per backend and kept (SPI_keepplan; PostgreSQL's
  // plan cache re-plans it after catalog changes). For a fixed set of statements (catalog
  // lookups) only: the cache is never pruned.
  uint64_t execute_cached(const std::string& sql, SpiArgs& args, bool read_only);

  // Accessors of the last statement's result (row and column 0-based).
  uint64_t rows() const noexcept;
  // The value as text (the type's output function); nullopt for NULL.
  std::optional<std::string> text(uint64_t row, int column) const;
  // The value as text, an error naming the column if it is NULL.
  std::string text_not_null(uint64_t row, int column) const;
  // The raw Datum (valid until the next statement); *is_null set.
  Datum datum(uint64_t row, int column, bool* is_null) const;
  Oid column_type(int column) const;
  // The value copied into the memory context current when the session began, so that it outlives
  // the session (SPI_finish frees the result); an error if it is NULL.
  Datum datum_copy(uint64_t row, int column) const;
  // The first `columns` values of row `row` in their binary send form (nullopt for NULL): the
  // key a keyset cursor encodes.
  std::vector<std::optional<std::string>> binary_values(uint64_t row, int columns) const;

 private:
  int uncaught_at_start_;
  MemoryContext caller_context_;
};

}  // namespace pgfast::pg
