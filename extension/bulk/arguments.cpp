#include "bulk/arguments.hpp"

#include <string>

#include "bulk/stage.hpp"
#include "core/error.hpp"
#include "pg/recovery.hpp"

namespace pgfast::bulk {

pg::RelationInfo read_target(pg::SpiSession& spi, FunctionCallInfo fcinfo, const char* function,
                             bool staged) {
  pg::refuse_during_recovery(function);
  if (PG_ARGISNULL(0)) throw Error(sqlstate::kNullValueNotAllowed, "target must not be NULL");
  pg::RelationInfo target = pg::load_relation(spi, PG_GETARG_OID(0));
  check_target(spi, target, function, staged);
  return target;
}

Datum require_arg(FunctionCallInfo fcinfo, int n, const char* name) {
  if (PG_ARGISNULL(n)) {
    throw Error(sqlstate::kNullValueNotAllowed, std::string(name) + " must not be NULL");
  }
  return PG_GETARG_DATUM(n);
}

}  // namespace pgfast::bulk
