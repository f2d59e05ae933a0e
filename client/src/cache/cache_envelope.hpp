// The bytes pgfast::Cache stores under a key: a versioned envelope around the value.
//
//   offset  size  field
//   0       3     magic 0xF0 'P' 'F' (0xF0 'P' is invalid UTF-8, so no text value starts so)
//   3       1     version (1)
//   4       1     flags: bit 0 payload is zstd-compressed, bit 1 negative entry ("not found")
//   5       1     format: application-defined content type (0 = bytes)
//   6       2     tag count (little endian)
//   8       8     stored_at, ms since the Unix epoch
//   16      8     refresh_after, ms since the epoch (0 = none): past it the entry is stale (served
//                 while one caller reloads it: stale-while-revalidate / early refresh)
//   24      4     raw (uncompressed) payload size
//   28      ...   tags: u16 name length, name, i64 generation (each)
//   ...           payload
//
// Values without the magic (written by INCR or by other programs) are not envelopes: Cache hands
// them back as they are.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pgfast {

struct CacheEntry {
  std::string value;      // uncompressed
  bool negative = false;  // a cached "not found"
  std::uint8_t format = 0;
  std::int64_t stored_at_ms = 0;
  std::int64_t refresh_after_ms = 0;
  // Tag names and the generation each had when the value was loaded.
  std::vector<std::pair<std::string, std::int64_t>> tags;
};

struct EnvelopeOptions {
  std::size_t compress_threshold = 1024;  // payloads of at least this many bytes are compressed
  int compression_level = 1;              // zstd level (1: fastest)
};

struct EncodedEntry {
  std::string bytes;
  bool compressed = false;
  std::size_t bytes_saved = 0;  // raw size minus compressed size, when compressed
};

// Compresses only when that makes the payload smaller.
EncodedEntry encode_entry(const CacheEntry& entry, const EnvelopeOptions& options = {});

struct DecodedEntry {
  enum class Status {
    entry,         // an envelope, decoded into `entry`
    not_envelope,  // no magic: a plain value (e.g. a counter)
    corrupt,       // the magic, but truncated, an unknown version or a payload that fails to
                   // decompress; `error` says which (Cache treats it as a miss)
  };
  Status status = Status::not_envelope;
  CacheEntry entry;
  std::string error;
};

DecodedEntry decode_entry(std::string_view bytes);

// True when `bytes` starts with the envelope magic.
bool is_envelope(std::string_view bytes) noexcept;

}  // namespace pgfast
