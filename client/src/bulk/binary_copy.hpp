// PostgreSQL's binary COPY format (header, tuples, trailer) for the BulkValue types: what
// BulkWriter streams (internal; not installed).
#pragma once

#include <string>
#include <vector>

#include "pgfast/bulk/bulk_value.hpp"

namespace pgfast {

// Stateless: thread-safe.
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
