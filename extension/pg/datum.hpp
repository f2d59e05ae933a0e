// Conversions between Datums and C++ values, each through the call guard (detoasting, palloc and
// type I/O can ereport).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pg/postgres.hpp"

namespace pgfast::pg {

// The text argument `n` of the current call as a std::string (argument must not be NULL).
std::string text_arg(FunctionCallInfo fcinfo, int n);

// The `text[]` argument `n` (NULL: nullopt); NULL elements are an error naming `argument`.
std::optional<std::vector<std::string>> text_array_arg(FunctionCallInfo fcinfo, int n,
                                                       const char* argument);

// A text Datum palloc'd in the current memory context.
Datum text_datum(std::string_view value);

// A jsonb Datum parsed from JSON text (jsonb's input function).
Datum jsonb_datum(const std::string& json);
// jsonb's canonical text (keys sorted as jsonb stores them).
std::string jsonb_text(Datum jsonb);

// The type's binary send representation of `value` (what COPY BINARY writes).
std::string send_binary(Oid type, Datum value);
// The Datum of `type` read back from its binary representation; the whole input must be consumed.
Datum receive_binary(Oid type, const std::string& bytes);

}  // namespace pgfast::pg
