// The values a BulkWriter row holds, and how each field travels in binary COPY.
#pragma once

#include <cstdint>
#include <string>
#include <variant>

#include "pgfast/types.hpp"

namespace pgfast {

// std::monostate is SQL NULL; the others travel as bigint, double precision, boolean, text,
// timestamptz and jsonb.
using BulkValue =
    std::variant<std::monostate, std::int64_t, double, bool, std::string, Timestamp, Json>;

// How a field travels: as its BulkValue alternative's type (`natural`), or in four bytes: an
// int64 as `integer`, a double as `real` (the caller checks an integer's range first).
enum class FieldWidth : std::uint8_t { natural, four_bytes };

}  // namespace pgfast
