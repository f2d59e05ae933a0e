// Reading an index's relation without waiting for a lock, for pgfast.index_report's helpers:
// whether the caller may look into it, its size, a GIN index's pending-list length.
#pragma once

#include <optional>

#include "pg/postgres.hpp"

namespace pgfast::pg {

// Whether `index` is an index the caller may look into (SELECT on its table).
bool readable_index(Oid index);

// The length of a GIN index's pending list, read from its metapage; nullopt when `index` is not a
// GIN index, has no metapage yet (CREATE INDEX CONCURRENTLY creates the index empty and builds it
// later), is another session's temporary index (its pages live in that session's local buffers),
// or is locked by another session (the report waits for no one).
std::optional<int64> gin_pending_pages(Oid index);

// Bytes of the index's main fork, like pg_relation_size, without waiting for a lock; the size
// pg_class recorded (relpages, as of the last VACUUM, ANALYZE or build) when another session holds
// a conflicting lock or it is that session's temporary index; nullopt when it is gone.
std::optional<int64> index_size(Oid index);

}  // namespace pgfast::pg
