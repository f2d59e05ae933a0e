// Reading the arguments every bulk function shares: the target relation and the required ones.
#pragma once

#include "pg/postgres.hpp"
#include "pg/relation_info.hpp"
#include "pg/spi.hpp"

namespace pgfast::bulk {

// Argument 0, the target (22004 when NULL), loaded and checked for `function` (check_target);
// first of all, 25006 on a hot standby (every bulk function writes).
pg::RelationInfo read_target(pg::SpiSession& spi, FunctionCallInfo fcinfo, const char* function,
                             bool staged = true);

// Argument `n`, which must not be NULL (22004 naming it).
Datum require_arg(FunctionCallInfo fcinfo, int n, const char* name);

}  // namespace pgfast::bulk
