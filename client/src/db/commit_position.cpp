#include "pgfast/db/commit_position.hpp"

#include <cstdio>

#include "db/wal_position.hpp"
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
      "SELECT pg_catalog.pg_is_in_recovery(), CASE WHEN NOT pg_catalog.pg_is_in_recovery() THEN "
      "pg_catalog.pg_current_wal_insert_lsn()::text END, "
      "pg_catalog.current_setting('wal_block_size')::bigint, (SELECT setting::bigint FROM "
      "pg_catalog.pg_settings WHERE name = 'wal_segment_size')");
  if (r.as<bool>(0, 0)) {
    throw UsageError(
        "pgfast::commit_position: the server is in recovery; take the position on the primary");
  }
  const CommitPosition insert = CommitPosition::parse(r.get(0, 1));
  return CommitPosition(detail::record_end_of_insert_position(
      insert.lsn(), r.as<std::uint64_t>(0, 2), r.as<std::uint64_t>(0, 3)));
}

}  // namespace pgfast
