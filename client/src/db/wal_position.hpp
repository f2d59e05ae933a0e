// detail::record_end_of_insert_position: a WAL insert position as the end of the last record.
//
// pg_current_wal_insert_lsn() of an empty page points past the page header, where the next record
// will start; the end of the last record is the page boundary itself, which is what a replica that
// replayed everything reports (pg_last_wal_replay_lsn()). Both name the same point of the log: the
// boundary is returned, so that such a replica counts as having reached the position. Header sizes
// are PostgreSQL's SizeOfXLogLongPHD (first page of a segment) and SizeOfXLogShortPHD (others);
// block and segment sizes are the server's wal_block_size and wal_segment_size (0: unknown, the
// position is returned as it is).
#pragma once

#include <cstdint>

namespace pgfast::detail {

inline std::uint64_t record_end_of_insert_position(std::uint64_t lsn, std::uint64_t block_size,
                                                   std::uint64_t segment_size) noexcept {
  constexpr std::uint64_t kLongHeader = 40, kShortHeader = 24;
  if (segment_size > 0 && lsn % segment_size == kLongHeader) return lsn - kLongHeader;
  if (block_size > 0 && lsn % block_size == kShortHeader) return lsn - kShortHeader;
  return lsn;
}

}  // namespace pgfast::detail
