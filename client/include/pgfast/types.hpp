// Value types shared by the client's parts: a BulkWriter row, a Result getter and a cache value
// use the same spelling for a timestamp and for JSON text.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace pgfast {

// A point in time as microseconds since 1970-01-01 00:00:00 UTC (timestamptz's resolution).
struct Timestamp {
  std::int64_t unix_micros = 0;
};

// Binary data (bytea).
using Bytes = std::vector<std::byte>;

// JSON text (json/jsonb), passed through as it is.
struct Json {
  std::string text;
};

}  // namespace pgfast
