// detail::ReplicaSet: a Database's read replicas — one detail::Pool each — their health and lag,
// and the choice of one for a read (docs/scale-out.md, "Read replicas (client)").
//
// Checks are lazy and bounded: a read finding the last check older than replica_check_interval
// runs the next one itself (one thread at a time; the others use the last state meanwhile): it
// samples the primary's WAL insert position (as commit_position() does) into a WalHistory and
// asks each replica not known to be down for pg_is_in_recovery() and pg_last_wal_replay_lsn().
// A replica whose connection fails is down until replica_retry_after has passed; the next check
// after that tries it again.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "db/wal_history.hpp"
#include "pgfast/db/database.hpp"
#include "pgfast/db/pooled_connection.hpp"
#include "pgfast/db/read_options.hpp"
#include "pgfast/db/server_stats.hpp"

namespace pgfast::detail {

class Pool;

class ReplicaSet {
 public:
  using Clock = std::chrono::steady_clock;

  // One pool per options.replica_urls entry, with the primary's pool settings. Opens nothing yet.
  // Throws ConfigurationError for a URL libpq cannot parse or a negative interval.
  explicit ReplicaSet(const DatabaseOptions& options);
  ~ReplicaSet();
  ReplicaSet(const ReplicaSet&) = delete;
  ReplicaSet& operator=(const ReplicaSet&) = delete;

  bool empty() const noexcept { return replicas_.empty(); }

  // A connection on a replica fit for `options` (running the check first when one is due), with
  // `index` set to the replica's; an empty lease when none is: the caller uses the primary.
  PooledConnection choose(Pool& primary, const ReadOptions& options, std::size_t& index);

  // The replica's connection was lost during a read: down, retried after replica_retry_after.
  void mark_down(std::size_t index) noexcept;
  void count_read(std::size_t index) noexcept;
  void count_primary_read() noexcept { ++primary_reads_; }
  std::uint64_t primary_reads() const noexcept { return primary_reads_; }

  // One entry per replica, in the order of replica_urls.
  std::vector<ServerStats> stats() const;

 private:
  struct Replica {
    std::string name;
    std::shared_ptr<Pool> pool;
    // Guarded by ReplicaSet::mutex_.
    ServerState state = ServerState::unchecked;
    std::optional<std::chrono::milliseconds> lag;
    std::optional<std::uint64_t> replayed;
    Clock::time_point retry_at{};
    std::uint64_t reads = 0;
    std::uint64_t failures = 0;
  };

  void check_if_due(Pool& primary);
  void check(Pool& primary);
  void mark_down_locked(Replica& replica, Clock::time_point now);
  // Waits (bounded) on `lease` for its replica to replay up to `target`; true when it has.
  bool await_replay(PooledConnection& lease, std::size_t index, std::uint64_t target,
                    Clock::time_point deadline);
  // A lease on replica `index`, or an empty one after marking it down when it cannot connect.
  PooledConnection lease_on(std::size_t index);

  const std::chrono::milliseconds max_lag_;
  const std::chrono::milliseconds check_interval_;
  const std::chrono::milliseconds retry_after_;
  const std::chrono::milliseconds acquire_timeout_;
  std::vector<std::unique_ptr<Replica>> replicas_;

  mutable std::mutex mutex_;  // the replicas' state and next_check_
  Clock::time_point next_check_{};
  std::mutex check_mutex_;  // one check at a time; guards history_
  WalHistory history_;
  std::atomic<std::size_t> next_replica_{0};  // round robin
  std::atomic<std::uint64_t> primary_reads_{0};
};

// What a read that failed on a replica means: none (the caller's own error: it propagates), down
// (the connection was lost or the server is going away: mark the replica down and read on the
// primary) or conflict (a standby cancelled the query for a recovery conflict: read on the
// primary).
enum class ReplicaFailure { none, down, conflict };
ReplicaFailure classify_replica_failure(const std::string& sqlstate, bool connection_broken);

// host:port of a libpq URL or connection string, without credentials ("?" when unparsable).
std::string server_name(const std::string& url);

}  // namespace pgfast::detail
