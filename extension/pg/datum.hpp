// Conversions between Datums and C++ values, each through the call guard (detoasting and palloc
// can ereport).
#pragma once

#include <string>
#include <string_view>

#include "pg/postgres.hpp"

namespace pgfast::pg {

// The text argument `n` of the current call as a std::string (argument must not be NULL).
std::string text_arg(FunctionCallInfo fcinfo, int n);

// A text Datum palloc'd in the current memory context.
Datum text_datum(std::string_view value);

}  // namespace pgfast::pg
