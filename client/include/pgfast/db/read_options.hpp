// pgfast::ReadOptions: how one call of the read-replica API (Database::read, acquire_read,
// read_query, and page / offset_page / fts_search given ReadOptions) picks its server. Without
// replicas configured every read goes to the primary and these options change nothing.
#pragma once

#include <chrono>
#include <optional>

#include "pgfast/db/commit_position.hpp"

namespace pgfast {

struct ReadOptions {
  // Read-your-writes: only a replica that has replayed up to this position may serve the read
  // (waiting up to replay_wait for one), else the primary does.
  std::optional<CommitPosition> after;
  std::chrono::milliseconds replay_wait{100};
  // Overrides DatabaseOptions::max_replica_lag for this read.
  std::optional<std::chrono::milliseconds> max_lag;
};

}  // namespace pgfast
