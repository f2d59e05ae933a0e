// pgfast::ServerStats: one server of a Database — the primary or a read replica — with its pool's
// statistics and, for a replica, its health and lag as of the last check (a plain value).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "pgfast/db/commit_position.hpp"
#include "pgfast/db/pool_stats.hpp"

namespace pgfast {

enum class ServerRole { primary, replica };

enum class ServerState {
  available,  // the primary; a replica in recovery whose lag is within max_replica_lag
  unchecked,  // a replica not checked yet (no read asked for one)
  lagging,    // in recovery, but further behind than max_replica_lag (or not known how far)
  down,       // connecting failed or the connection was lost: retried after replica_retry_after
  not_in_recovery,  // answers, but is no standby (e.g. promoted): never used for reads
};

struct ServerStats {
  std::string name;  // host:port of its URL (no credentials)
  ServerRole role = ServerRole::primary;
  ServerState state = ServerState::available;
  PoolStats pool;
  // Replicas: the lag and replay position at the last check (empty: unknown). The lag is an upper
  // bound: how long ago the primary had not yet written anything this replica lacks.
  std::optional<std::chrono::milliseconds> lag;
  std::optional<CommitPosition> replayed;
  std::uint64_t reads = 0;     // read-API calls this server served
  std::uint64_t failures = 0;  // replicas: times found down
};

}  // namespace pgfast
