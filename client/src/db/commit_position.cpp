#include "pgfast/db/commit_position.hpp"

#include <cstdio>

#include "pgfast/db/connection.hpp"
#include "pgfast/db/result.hpp"
#include "pgfast/errors.hpp"

namespace pgfast {

namespace {

// 1 to 8 hexadecimal digits, the whole of `text`.
bool parse_hex32(std::string_view text, std::uint64_t& out) {
  if (text.empty() || text.size() > 8) return false;
  out = 0;
  for (char c : text) {
    int digit;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      digit = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      digit = c - 'A' + 10;
    } else {
      return false;
    }
    out = out * 16 + static_cast<std::uint64_t>(digit);
  }
  return true;
}

// The insert position of an empty page points past the page header, where the next record will
// start; the end of the last record is the page boundary itself (what a replica reports having
// replayed). Both name the same point of the log: the boundary is taken, so that a replica that
// replayed everything counts as having reached the token. Header sizes: PostgreSQL's
// SizeOfXLogLongPHD (first page of a segment) and SizeOfXLogShortPHD (other pages).
std::uint64_t without_page_header(std::uint64_t lsn, std::uint64_t block_size,
                                  std::uint64_t segment_size) {
  constexpr std::uint64_t kLongHeader = 40, kShortHeader = 24;
  if (segment_size > 0 && lsn % segment_size == kLongHeader) return lsn - kLongHeader;
  if (block_size > 0 && lsn % block_size == kShortHeader && lsn % segment_size != kShortHeader) {
    return lsn - kShortHeader;
  }
  return lsn;
}

}  // namespace

CommitPosition CommitPosition::parse(std::string_view text) {
  const auto slash = text.find('/');
  std::uint64_t high = 0, low = 0;
  if (slash == std::string_view::npos || !parse_hex32(text.substr(0, slash), high) ||
      !parse_hex32(text.substr(slash + 1), low)) {
    throw ConversionError(
        "pgfast::CommitPosition: expected a WAL position like \"16/B374D848\", got \"" +
        std::string(text) + "\"");
  }
  return CommitPosition((high << 32) | low);
}

std::string CommitPosition::to_string() const {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%X/%X", static_cast<unsigned>(lsn_ >> 32),
                static_cast<unsigned>(lsn_ & 0xffffffffu));
  return buf;
}

CommitPosition commit_position(Connection& connection) {
  Result r = connection.execute(
      "SELECT pg_catalog.pg_is_in_recovery(), pg_catalog.pg_current_wal_insert_lsn()::text, "
      "pg_catalog.current_setting('wal_block_size')::bigint, (SELECT setting::bigint FROM "
      "pg_catalog.pg_settings WHERE name = 'wal_segment_size')");
  if (r.as<bool>(0, 0)) {
    throw UsageError(
        "pgfast::commit_position: the server is in recovery; take the position on the primary");
  }
  const CommitPosition insert = CommitPosition::parse(r.get(0, 1));
  return CommitPosition(
      without_page_header(insert.lsn(), r.as<std::uint64_t>(0, 2), r.as<std::uint64_t>(0, 3)));
}

}  // namespace pgfast
