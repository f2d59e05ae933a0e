// The input row a bulk function blames for an error, in a structured place a client can read
// without parsing the message: the DETAIL's first line is `pgfast.row=<n>` (the 1-based position of
// the row in the function's input argument), followed by ` pgfast.column="<name>"` (double quotes
// inside the name doubled) when one column of that row is to blame. The error's own detail, if
// any, follows on the next lines. docs/bulk.md ("Which row failed") states this as a contract.
// The first line leads so that a long detail, cut to size, never loses it.
#pragma once

#include <cstdint>
#include <string>

#include "core/error.hpp"

namespace pgfast {

inline constexpr char kRowDetailKey[] = "pgfast.row=";
inline constexpr char kColumnDetailKey[] = " pgfast.column=";

// The DETAIL text naming `row` (and `column` when not empty) ahead of `detail`.
std::string row_detail(int64_t row, const std::string& column = {}, const std::string& detail = {});

// An Error blaming input row `row` (and `column` when not empty). `message` says what is wrong,
// without the position: the DETAIL carries it.
Error row_error(std::string sqlstate, const std::string& message, int64_t row,
                const std::string& column = {}, const std::string& detail = {},
                std::string hint = {});

}  // namespace pgfast
