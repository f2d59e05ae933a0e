#include "db/replica_set.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <thread>
#include <utility>

#include "db/pool.hpp"
#include "pgfast/db/commit_position.hpp"
#include "pgfast/errors.hpp"

namespace pgfast::detail {

namespace {

constexpr char kReplicaStateSql[] =
    "SELECT pg_catalog.pg_is_in_recovery(), pg_catalog.pg_last_wal_replay_lsn()::text";
constexpr char kReplayedSql[] = "SELECT pg_catalog.pg_last_wal_replay_lsn()::text";
// A check does not wait long for a pool's free connection: under a saturated pool it skips that
// server this time (the lag is then judged against older samples, which only overstates it).
constexpr std::chrono::milliseconds kCheckAcquireTimeout{100};

std::chrono::milliseconds non_negative(std::chrono::milliseconds value, const char* name) {
  if (value.count() < 0) {
    throw ConfigurationError(std::string("pgfast::Database: ") + name + " must be >= 0 ms, got " +
                             std::to_string(value.count()));
  }
  return value;
}

DatabaseOptions replica_options(const DatabaseOptions& primary, std::size_t index,
                                const std::string& name) {
  const std::string& url = primary.replica_urls[index];
  if (url.empty()) {
    throw ConfigurationError("pgfast::Database: replica_urls[" + std::to_string(index) +
                             "] must not be empty");
  }
  char* error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(url.c_str(), &error);
  if (parsed == nullptr) {
    std::string message = error != nullptr ? error : "out of memory";
    PQfreemem(error);
    while (!message.empty() && message.back() == '\n') message.pop_back();
    throw ConfigurationError("pgfast::Database: replica_urls[" + std::to_string(index) +
                             "] is not a libpq connection string: " + message);
  }
  PQconninfoFree(parsed);
  DatabaseOptions o = primary;
  o.url = url;
  o.replica_urls.clear();
  o.metrics_name = (primary.metrics_name.empty() ? "default" : primary.metrics_name) + "@" + name;
  return o;
}

// pg_is_in_recovery() and the replay position, on a connection of `pool`. A connection that broke
// while idle (the replica restarted, and the pool does not pre-ping) is dropped by the pool and
// the next one tried, so that a replica back up is not judged down by its stale connections.
Result replica_state(Pool& pool, std::chrono::milliseconds acquire_timeout) {
  const std::size_t attempts = static_cast<std::size_t>(pool.options().pool_size) +
                               static_cast<std::size_t>(pool.options().max_overflow) + 1;
  for (std::size_t attempt = 1;; ++attempt) {
    PooledConnection lease = pool.acquire(acquire_timeout);
    try {
      return lease->execute(kReplicaStateSql);
    } catch (const DatabaseError&) {
      if (!lease->broken() || attempt >= attempts) throw;
    }
  }
}

std::optional<std::uint64_t> replay_position(const Result& r, int column) {
  if (r.is_null(0, column)) return std::nullopt;
  return CommitPosition::parse(r.get(0, column)).lsn();
}

}  // namespace

ReplicaFailure classify_replica_failure(const std::string& sqlstate, bool connection_broken) {
  if (connection_broken || sqlstate.rfind("08", 0) == 0) return ReplicaFailure::down;
  // admin_shutdown, crash_shutdown, cannot_connect_now, database_dropped
  if (sqlstate == "57P01" || sqlstate == "57P02" || sqlstate == "57P03" || sqlstate == "57P04") {
    return ReplicaFailure::down;
  }
  // A standby cancels queries that conflict with the WAL it replays with these two.
  if (sqlstate == "40001" || sqlstate == "40P01") return ReplicaFailure::conflict;
  return ReplicaFailure::none;
}

std::string server_name(const std::string& url) {
  PQconninfoOption* parsed = PQconninfoParse(url.c_str(), nullptr);
  if (parsed == nullptr) return "?";
  std::string host, port;
  for (PQconninfoOption* o = parsed; o->keyword != nullptr; ++o) {
    if (o->val == nullptr || *o->val == '\0') continue;
    const std::string keyword = o->keyword;
    if (keyword == "host" || (keyword == "hostaddr" && host.empty())) host = o->val;
    if (keyword == "port") port = o->val;
  }
  PQconninfoFree(parsed);
  return (host.empty() ? "localhost" : host) + ":" + (port.empty() ? "5432" : port);
}

ReplicaSet::ReplicaSet(const DatabaseOptions& options)
    : max_lag_(non_negative(options.max_replica_lag, "max_replica_lag")),
      check_interval_(non_negative(options.replica_check_interval, "replica_check_interval")),
      retry_after_(non_negative(options.replica_retry_after, "replica_retry_after")),
      acquire_timeout_(options.acquire_timeout) {
  for (std::size_t i = 0; i < options.replica_urls.size(); ++i) {
    auto replica = std::make_unique<Replica>();
    replica->name = server_name(options.replica_urls[i]);
    replica->pool = std::make_shared<Pool>(replica_options(options, i, replica->name));
    replicas_.push_back(std::move(replica));
  }
}

ReplicaSet::~ReplicaSet() {
  for (auto& replica : replicas_) replica->pool->close();
}

void ReplicaSet::check_if_due(Pool& primary) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (Clock::now() < next_check_) return;
  }
  std::unique_lock<std::mutex> checking(check_mutex_, std::try_to_lock);
  if (!checking) return;  // another read is checking: use the last state meanwhile
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (Clock::now() < next_check_) return;
  }
  check(primary);
  std::lock_guard<std::mutex> lock(mutex_);
  next_check_ = Clock::now() + check_interval_;
}

void ReplicaSet::check(Pool& primary) {
  // The time before asking: the primary was at most at this position then (a conservative lag).
  const Clock::time_point sampled_at = Clock::now();
  try {
    PooledConnection lease = primary.acquire(std::min(acquire_timeout_, kCheckAcquireTimeout));
    history_.record(sampled_at, commit_position(*lease).lsn());
  } catch (const ClientError&) {
    // The primary did not answer: the replicas are judged against the older samples.
  }
  for (auto& replica_ptr : replicas_) {
    Replica& replica = *replica_ptr;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (replica.state == ServerState::down && Clock::now() < replica.retry_at) continue;
    }
    try {
      const Result r =
          replica_state(*replica.pool, std::min(acquire_timeout_, kCheckAcquireTimeout));
      const bool in_recovery = r.as<bool>(0, 0);
      const std::optional<std::uint64_t> replayed = replay_position(r, 1);
      const Clock::time_point now = Clock::now();
      std::lock_guard<std::mutex> lock(mutex_);
      if (!in_recovery) {
        replica.state = ServerState::not_in_recovery;
        replica.lag.reset();
        replica.replayed.reset();
        continue;
      }
      replica.replayed = replayed;
      replica.lag = replayed ? history_.lag(*replayed, now) : std::nullopt;
      replica.state =
          replica.lag && *replica.lag <= max_lag_ ? ServerState::available : ServerState::lagging;
    } catch (const PoolTimeoutError&) {
      // Every connection busy: not down; the last state stands.
    } catch (const ClientError&) {
      std::lock_guard<std::mutex> lock(mutex_);
      mark_down_locked(replica, Clock::now());
    }
  }
}

void ReplicaSet::mark_down_locked(Replica& replica, Clock::time_point now) {
  replica.state = ServerState::down;
  replica.lag.reset();
  replica.retry_at = now + retry_after_;
  ++replica.failures;
}

void ReplicaSet::mark_down(std::size_t index) noexcept {
  std::lock_guard<std::mutex> lock(mutex_);
  mark_down_locked(*replicas_[index], Clock::now());
}

void ReplicaSet::count_read(std::size_t index) noexcept {
  std::lock_guard<std::mutex> lock(mutex_);
  ++replicas_[index]->reads;
}

PooledConnection ReplicaSet::lease_on(std::size_t index) {
  try {
    return replicas_[index]->pool->acquire(acquire_timeout_);
  } catch (const PoolTimeoutError&) {
    throw;  // busy, as the primary's pool can be: the caller's to handle
  } catch (const ClientError&) {
    mark_down(index);  // cannot connect
    return {};
  }
}

bool ReplicaSet::await_replay(PooledConnection& lease, std::size_t index, std::uint64_t target,
                              Clock::time_point deadline) {
  auto pause = std::chrono::milliseconds(1);
  try {
    for (;;) {
      const std::optional<std::uint64_t> replayed =
          replay_position(lease->execute(kReplayedSql), 0);
      if (replayed) {
        std::lock_guard<std::mutex> lock(mutex_);
        Replica& replica = *replicas_[index];
        replica.replayed = std::max(replica.replayed.value_or(0), *replayed);
        if (*replayed >= target) return true;
      }
      const Clock::time_point now = Clock::now();
      if (now >= deadline) return false;
      std::this_thread::sleep_for(
          std::min<Clock::duration>(pause, deadline - now));  // bounded polling of the replica
      pause = std::min(pause * 2, std::chrono::milliseconds(20));
    }
  } catch (const DatabaseError& e) {
    if (classify_replica_failure(e.sqlstate(), lease->broken()) == ReplicaFailure::down) {
      mark_down(index);
    }
    return false;
  }
}

PooledConnection ReplicaSet::choose(Pool& primary, const ReadOptions& options, std::size_t& index) {
  if (replicas_.empty()) return {};
  check_if_due(primary);
  const std::chrono::milliseconds bound = options.max_lag.value_or(max_lag_);
  const std::uint64_t target = options.after ? options.after->lsn() : 0;
  std::vector<std::size_t> ready;       // fit, and known to have replayed up to the target
  std::optional<std::size_t> furthest;  // fit, the furthest replayed of those that have not
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (std::size_t i = 0; i < replicas_.size(); ++i) {
      const Replica& r = *replicas_[i];
      const bool fit = (r.state == ServerState::available || r.state == ServerState::lagging) &&
                       r.lag && *r.lag <= bound;
      if (!fit) continue;
      if (r.replayed.value_or(0) >= target) {
        ready.push_back(i);
      } else if (!furthest || r.replayed.value_or(0) > replicas_[*furthest]->replayed.value_or(0)) {
        furthest = i;
      }
    }
  }
  const std::size_t start = next_replica_.fetch_add(1, std::memory_order_relaxed);
  for (std::size_t k = 0; k < ready.size(); ++k) {
    const std::size_t i = ready[(start + k) % ready.size()];
    PooledConnection lease = lease_on(i);
    if (lease) {
      index = i;
      return lease;
    }
  }
  if (!options.after || !furthest) return {};
  // Read-your-writes: wait briefly for the replica closest to the token to replay past it.
  const Clock::time_point deadline =
      Clock::now() + std::max(options.replay_wait, std::chrono::milliseconds::zero());
  PooledConnection lease = lease_on(*furthest);
  if (!lease || !await_replay(lease, *furthest, target, deadline)) return {};
  index = *furthest;
  return lease;
}

std::vector<ServerStats> ReplicaSet::stats() const {
  std::vector<ServerStats> out;
  for (const auto& replica : replicas_) {
    ServerStats s;
    s.name = replica->name;
    s.role = ServerRole::replica;
    s.pool = replica->pool->stats();
    std::lock_guard<std::mutex> lock(mutex_);
    s.state = replica->state;
    s.lag = replica->lag;
    if (replica->replayed) s.replayed = CommitPosition(*replica->replayed);
    s.reads = replica->reads;
    s.failures = replica->failures;
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace pgfast::detail
