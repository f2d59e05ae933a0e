// PostgreSQL's binary COPY format (header, tuples, trailer) for the BulkValue types: what
// BulkWriter streams, usable on its own for `COPY ... FROM STDIN (FORMAT binary)`.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "pgfast/types.hpp"

namespace pgfast {

// std::monostate is SQL NULL; the others travel as bigint, double precision, boolean, text,
// timestamptz and jsonb.
using BulkValue =
    std::variant<std::monostate, std::int64_t, double, bool, std::string, Timestamp, Json>;

// How a field travels: as its BulkValue alternative's type (`natural`), or in four bytes: an
// int64 as `integer`, a double as `real` (the caller checks an integer's range first).
enum class FieldWidth : std::uint8_t { natural, four_bytes };

class BinaryCopyEncoder {
 public:
  // Appends the file header (signature, flags, extension length).
  static void header(std::string& out);
  // Appends one tuple.
  static void row(std::string& out, const std::vector<BulkValue>& values);
  // Appends one tuple, field i sent as widths[i] says (widths has one entry per value).
  static void row(std::string& out, const std::vector<BulkValue>& values,
                  const std::vector<FieldWidth>& widths);
  // Appends the trailer (field count -1).
  static void trailer(std::string& out);
};

}  // namespace pgfast
