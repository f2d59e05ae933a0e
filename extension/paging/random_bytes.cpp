// pgfast._random_bytes(n): n bytes from the server's strong random source. Used by the install
// script to make the per-database cursor key.
#include "core/error.hpp"
#include "pg/guard.hpp"
#include "pg/sql_function.hpp"

extern "C" {
#include "port.h"
#include "utils/builtins.h"
}

namespace pgfast::paging {
namespace {

Datum random_bytes(FunctionCallInfo fcinfo) {
  int n = PG_GETARG_INT32(0);
  if (n < 1 || n > 1024) {
    throw Error(sqlstate::kInvalidParameterValue, "n must be between 1 and 1024");
  }
  bytea* out = pg::call([n] {
    auto* b = static_cast<bytea*>(palloc(VARHDRSZ + n));
    SET_VARSIZE(b, VARHDRSZ + n);
    return b;
  });
  if (!pg_strong_random(VARDATA(out), n)) {
    throw Error(sqlstate::kInternalError, "could not generate random bytes");
  }
  return PointerGetDatum(out);
}

}  // namespace
PGFAST_FUNCTION(pgfast_random_bytes) {
  return random_bytes(fcinfo);
}

}  // namespace pgfast::paging
