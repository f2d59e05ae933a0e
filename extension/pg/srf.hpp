// Results of functions returning rows: sets in materialize mode (the whole result goes into a
// tuplestore) and single composite values.
#pragma once

#include "pg/postgres.hpp"

namespace pgfast::pg {

class MaterializedResult {
 public:
  // Sets up the tuplestore and descriptor from the function's declared result type.
  explicit MaterializedResult(FunctionCallInfo fcinfo);

  int columns() const noexcept { return natts_; }
  // Appends one row; `values` and `nulls` have columns() entries.
  void put(const Datum* values, const bool* nulls);

 private:
  FunctionCallInfo fcinfo_;
  int natts_;
};

// A composite result (a function declared RETURNS record with OUT parameters) from `values`
// and `nulls`, which must match the declared columns.
Datum composite_datum(FunctionCallInfo fcinfo, const Datum* values, const bool* nulls);

}  // namespace pgfast::pg
