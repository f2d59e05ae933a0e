// pgfast::Database: a thread-safe libpq connection pool with SQLAlchemy QueuePool semantics —
// at most pool_size + max_overflow connections, idle ones reused last-in first-out, overflow
// connections closed when returned to a full pool, connections older than the recycle age
// replaced on borrow, pre-ping on borrow, broken connections replaced, and a bounded wait for a
// free connection — plus query/transaction conveniences.
// A handle: cheap to copy, thread-safe; copies share one pool.
// With read replicas configured (DatabaseOptions::replica_urls) it also holds one pool per replica,
// used only by the read API (read, acquire_read, read_query, and page / offset_page / fts_search
// given ReadOptions; docs/scale-out.md "Read replicas (client)"); everything else stays on the
// primary.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "pgfast/db/commit_position.hpp"
#include "pgfast/db/connection.hpp"
#include "pgfast/errors.hpp"
#include "pgfast/metrics.hpp"
#include "pgfast/db/pooled_connection.hpp"
#include "pgfast/db/indexes.hpp"
#include "pgfast/db/paging.hpp"
#include "pgfast/db/params.hpp"
#include "pgfast/db/pool_stats.hpp"
#include "pgfast/db/read_options.hpp"
#include "pgfast/db/result.hpp"
#include "pgfast/db/retry.hpp"
#include "pgfast/db/server_stats.hpp"
#include "pgfast/settings.hpp"
#include "pgfast/db/transaction.hpp"

namespace pgfast {

namespace detail {
class Pool;
class ReplicaSet;
}  // namespace detail

struct DatabaseOptions {
  std::string url = "postgresql://localhost/postgres";
  int pool_size = 20;     // connections kept open when idle, >= 1
  int max_overflow = 10;  // extra connections opened under load, closed when returned, >= 0
  // Idle connections at least this old are closed and replaced on borrow; negative disables.
  std::chrono::milliseconds recycle{std::chrono::seconds(3600)};
  bool pre_ping = true;  // ping an idle connection before lending it
  std::chrono::milliseconds acquire_timeout{std::chrono::seconds(30)};
  // Set on every connection when not empty (shows in pg_stat_activity); otherwise "pgfast"
  // unless the URL names one.
  std::string application_name;
  std::chrono::seconds connect_timeout{10};
  std::size_t statement_cache_capacity = 256;  // per connection; 0 disables the cache
  // Named prepared statements for execute_prepared(): automatic (unless a pooler such as
  // PgBouncer is detected), on or off (pgfast/db/statement_cache_mode.hpp).
  StatementCacheMode statement_cache = StatementCacheMode::automatic;
  // Prometheus metrics (docs/metrics.md): null = none; the pool's `pool` label value ("" =
  // "default").
  std::shared_ptr<Metrics> metrics;
  std::string metrics_name;

  // Read replicas: libpq URLs of streaming standbys of `url`, each with a pool of its own (the
  // settings above; metrics label "<metrics_name or default>@<host:port>"). Empty: every read
  // goes to the primary, with no extra work.
  std::vector<std::string> replica_urls;
  // A replica further behind the primary than this is skipped (ReadOptions::max_lag overrides).
  std::chrono::milliseconds max_replica_lag{1000};
  // Replicas' lag and health are checked by a read at most this often (not per read).
  std::chrono::milliseconds replica_check_interval{250};
  // A replica found down (connecting failed, connection lost) is not tried again before this.
  std::chrono::milliseconds replica_retry_after{5000};

  static DatabaseOptions from_settings(const Settings& settings);
};

class Database {
 public:
  using Options = DatabaseOptions;

  // Opens no connection yet: the first acquire() does. Throws ConfigurationError on bad options.
  explicit Database(const Settings& settings);
  explicit Database(Options options);
  // A cheap handle: copies share one pool (thread-safe). The last copy to go closes the idle
  // connections; PooledConnections still out close theirs when released.

  // Borrows a connection, waiting up to the acquire timeout (PoolTimeoutError after it). Opening
  // a connection that fails throws ConnectionError.
  PooledConnection acquire();
  PooledConnection acquire(std::chrono::milliseconds timeout);

  // One statement on a borrowed connection.
  Result query(std::string_view sql, const Params& params = {});
  Result execute_prepared(std::string_view sql, const Params& params = {});
  // Connection::stream (rows one at a time, bounded memory) on a borrowed connection.
  std::uint64_t stream(std::string_view sql, const Params& params,
                       const std::function<void(const Row&)>& on_row);
  std::uint64_t stream(std::string_view sql, const std::function<void(const Row&)>& on_row) {
    return stream(sql, {}, on_row);
  }

  // The extension's pagination on a borrowed connection (pgfast/db/paging.hpp).
  KeysetPage page(const PageRequest& request);
  OffsetPage offset_page(const OffsetPageRequest& request);

  // The extension's index management and full-text search (pgfast/db/indexes.hpp).
  std::string ensure_index(const IndexSpec& spec);
  FtsPage fts_search(const FtsSearchRequest& request);

  // Borrows a connection, BEGINs, runs body(Connection&), COMMITs and returns what body returned.
  // If body throws, the transaction is rolled back and the exception propagates.
  template <class F>
  auto transaction(F&& body, const TransactionOptions& options = {})
      -> std::invoke_result_t<F&, Connection&>;

  // As transaction(), but when the transaction fails with SerializationFailureError (40001) or
  // DeadlockDetectedError (40P01) — at any statement or at COMMIT — it is rolled back and the whole
  // of it runs again, each time on a fresh transaction, after a jittered exponential backoff (see
  // RetryOptions). After retry.max_attempts attempts the last error is rethrown; any other error
  // propagates at once. body may therefore run several times: keep effects outside the database
  // out of it. Throws ConfigurationError for bad RetryOptions before running anything.
  template <class F>
  auto transaction_with_retry(F&& body, const RetryOptions& retry = {},
                              const TransactionOptions& options = {})
      -> std::invoke_result_t<F&, Connection&>;

  // --- Reads that may go to a replica (docs/scale-out.md "Read replicas (client)") ---
  // Runs body(Connection&) on a replica fit for `options` (in recovery, not down, lag within the
  // bound, replayed past options.after), else on the primary, and returns what body returned
  // (by value). If the replica's connection is lost, the replica goes away (shutdown) or cancels
  // the query for a recovery conflict, the replica is skipped and body runs again on the primary:
  // no such error reaches the caller, so body may run twice — keep it a read. Errors of body's
  // own (including 25006 for a write on a replica) propagate.
  template <class F>
  auto read(F&& body, const ReadOptions& options = {}) -> std::invoke_result_t<F&, Connection&>;
  // A connection on a replica chosen as read() does, else on the primary. What happens on it
  // afterwards is the caller's: a lost connection throws as usual.
  PooledConnection acquire_read(const ReadOptions& options = {});
  // One statement through read().
  Result read_query(std::string_view sql, const Params& params = {},
                    const ReadOptions& options = {});
  KeysetPage page(const PageRequest& request, const ReadOptions& options);
  OffsetPage offset_page(const OffsetPageRequest& request, const ReadOptions& options);
  FtsPage fts_search(const FtsSearchRequest& request, const ReadOptions& options);

  // The read-your-writes token: the primary's WAL position now (pgfast/db/commit_position.hpp).
  // Take it after the write committed and pass it as ReadOptions::after.
  CommitPosition commit_position();

  PoolStats stats() const;  // the primary's pool
  // The primary first, then each replica in the order of replica_urls.
  std::vector<ServerStats> server_stats() const;
  const Options& options() const noexcept;

 private:
  void run_read(const ReadOptions& options, const std::function<void(Connection&)>& body);

  std::shared_ptr<detail::Pool> pool_;
  std::shared_ptr<detail::ReplicaSet> replicas_;
};

template <class F>
auto Database::read(F&& body, const ReadOptions& options) -> std::invoke_result_t<F&, Connection&> {
  using R = std::invoke_result_t<F&, Connection&>;
  static_assert(!std::is_reference_v<R>,
                "Database::read: body must return a value, not a reference");
  if constexpr (std::is_void_v<R>) {
    run_read(options, [&](Connection& c) { body(c); });
  } else {
    std::optional<R> result;
    run_read(options, [&](Connection& c) { result.emplace(body(c)); });
    return std::move(*result);
  }
}

template <class F>
auto Database::transaction(F&& body, const TransactionOptions& options)
    -> std::invoke_result_t<F&, Connection&> {
  PooledConnection lease = acquire();
  Transaction tx(*lease, options);
  // On an exception, ~Transaction rolls back before ~PooledConnection returns the connection.
  using R = std::invoke_result_t<F&, Connection&>;
  if constexpr (std::is_void_v<R>) {
    body(*lease);
    tx.commit();
  } else {
    decltype(auto) result = body(*lease);
    tx.commit();
    if constexpr (std::is_rvalue_reference_v<R>) {
      return std::move(result);
    } else {
      return result;
    }
  }
}

template <class F>
auto Database::transaction_with_retry(F&& body, const RetryOptions& retry,
                                      const TransactionOptions& options)
    -> std::invoke_result_t<F&, Connection&> {
  retry.validate();
  for (int attempt = 1;; ++attempt) {
    try {
      return transaction(body, options);
    } catch (const SerializationFailureError&) {
      if (attempt >= retry.max_attempts) throw;
    } catch (const DeadlockDetectedError&) {
      if (attempt >= retry.max_attempts) throw;
    }
    detail::sleep_before_retry(retry, attempt);
  }
}

}  // namespace pgfast
