// PGFAST_FUNCTION(c_name): the one way to declare a function PostgreSQL calls through fmgr (as
// pg_duckdb's DECLARE_PG_FUNCTION does). It defines the C entry point `c_name` -- the symbol an
// install script names in AS 'MODULE_PATHNAME', 'c_name' -- with its PG_FUNCTION_INFO_V1 record,
// and runs the C++ body that follows the macro inside pg::sql_entry (docs/boundary.md):
//
//   PGFAST_FUNCTION(pgfast_version) {
//     return pg::text_datum(build_description(PG_VERSION));
//   }
//
// The body sees `fcinfo` and returns a Datum (PG_RETURN_NULL() works as usual). It may be written
// inside a namespace: the entry point has C linkage wherever it is declared.
#pragma once

#include "pg/guard.hpp"
#include "pg/postgres.hpp"

#define PGFAST_FUNCTION(c_name)                                                       \
  extern "C" {                                                                        \
  PG_FUNCTION_INFO_V1(c_name);                                                        \
  }                                                                                   \
  static Datum c_name##_body([[maybe_unused]] FunctionCallInfo fcinfo);               \
  extern "C" Datum c_name(PG_FUNCTION_ARGS) {                                         \
    return ::pgfast::pg::sql_entry([&]() -> Datum { return c_name##_body(fcinfo); }); \
  }                                                                                   \
  static Datum c_name##_body([[maybe_unused]] FunctionCallInfo fcinfo)
