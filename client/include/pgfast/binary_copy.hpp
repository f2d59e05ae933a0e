// PostgreSQL's binary COPY format (header, tuples, trailer) for the BulkValue types: what
// BulkWriter streams, usable on its own for `COPY ... FROM STDIN (FORMAT binary)`.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace pgfast {

struct Timestamp {
  std::int64_t unix_micros = 0;  // microseconds since 1970-01-01 00:00:00 UTC
};

struct Json {
  std::string text;
};

// std::monostate is SQL NULL; the others travel as bigint, double precision, boolean, text,
// timestamptz and jsonb.
using BulkValue =
    std::variant<std::monostate, std::int64_t, double, bool, std::string, Timestamp, Json>;

class BinaryCopyEncoder {
 public:
  // Appends the file header (signature, flags, extension length).
  static void header(std::string& out);
  // Appends one tuple.
  static void row(std::string& out, const std::vector<BulkValue>& values);
  // Appends the trailer (field count -1).
  static void trailer(std::string& out);
};

}  // namespace pgfast
