#include "pgfast/db/database.hpp"

#include <utility>

#include "db/pool.hpp"
#include "db/replica_set.hpp"
#include "shared_handle.hpp"

namespace pgfast {

DatabaseOptions DatabaseOptions::from_settings(const Settings& settings) {
  DatabaseOptions o;
  o.url = settings.database_url;
  o.pool_size = settings.database_pool_size;
  o.max_overflow = settings.database_max_overflow;
  o.recycle = settings.database_pool_recycle;
  o.pre_ping = settings.database_pool_pre_ping;
  o.acquire_timeout = settings.database_acquire_timeout;
  o.statement_cache = settings.database_statement_cache;
  o.replica_urls = settings.database_replica_urls;
  o.max_replica_lag = settings.database_replica_max_lag;
  o.replica_check_interval = settings.database_replica_check_interval;
  o.replica_retry_after = settings.database_replica_retry_after;
  return o;
}

Database::Database(const Settings& settings) : Database(Options::from_settings(settings)) {}

Database::Database(Options options)
    : pool_(detail::make_shared_handle(std::make_shared<detail::Pool>(std::move(options)))),
      replicas_(std::make_shared<detail::ReplicaSet>(pool_->options())) {}

PooledConnection Database::acquire() {
  return pool_->acquire(pool_->options().acquire_timeout);
}

PooledConnection Database::acquire(std::chrono::milliseconds timeout) {
  return pool_->acquire(timeout);
}

Result Database::query(std::string_view sql, const Params& params) {
  PooledConnection lease = acquire();
  return lease->execute(sql, params);
}

Result Database::execute_prepared(std::string_view sql, const Params& params) {
  PooledConnection lease = acquire();
  return lease->execute_prepared(sql, params);
}

std::uint64_t Database::stream(std::string_view sql, const Params& params,
                               const std::function<void(const Row&)>& on_row) {
  PooledConnection lease = acquire();
  return lease->stream(sql, params, on_row);
}

KeysetPage Database::page(const PageRequest& request) {
  PooledConnection lease = acquire();
  return pgfast::page(*lease, request);
}

OffsetPage Database::offset_page(const OffsetPageRequest& request) {
  PooledConnection lease = acquire();
  return pgfast::offset_page(*lease, request);
}

std::string Database::ensure_index(const IndexSpec& spec) {
  PooledConnection lease = acquire();
  return pgfast::ensure_index(*lease, spec);
}

FtsPage Database::fts_search(const FtsSearchRequest& request) {
  PooledConnection lease = acquire();
  return pgfast::fts_search(*lease, request);
}

void Database::run_read(const ReadOptions& options, const std::function<void(Connection&)>& body) {
  if (!replicas_->empty()) {
    std::size_t index = 0;
    PooledConnection lease = replicas_->choose(*pool_, options, index);
    if (lease) {
      try {
        body(*lease);
        replicas_->count_read(index);
        return;
      } catch (const DatabaseError& e) {
        const auto failure = detail::classify_replica_failure(e.sqlstate(), lease->broken());
        if (failure == detail::ReplicaFailure::none) throw;
        if (failure == detail::ReplicaFailure::down) replicas_->mark_down(index);
      }
    }
  }
  replicas_->count_primary_read();
  PooledConnection lease = acquire();
  body(*lease);
}

PooledConnection Database::acquire_read(const ReadOptions& options) {
  std::size_t index = 0;
  PooledConnection lease = replicas_->choose(*pool_, options, index);
  if (lease) {
    replicas_->count_read(index);
    return lease;
  }
  replicas_->count_primary_read();
  return acquire();
}

Result Database::read_query(std::string_view sql, const Params& params,
                            const ReadOptions& options) {
  return read([&](Connection& c) { return c.execute(sql, params); }, options);
}

KeysetPage Database::page(const PageRequest& request, const ReadOptions& options) {
  return read([&](Connection& c) { return pgfast::page(c, request); }, options);
}

OffsetPage Database::offset_page(const OffsetPageRequest& request, const ReadOptions& options) {
  return read([&](Connection& c) { return pgfast::offset_page(c, request); }, options);
}

FtsPage Database::fts_search(const FtsSearchRequest& request, const ReadOptions& options) {
  return read([&](Connection& c) { return pgfast::fts_search(c, request); }, options);
}

CommitPosition Database::commit_position() {
  PooledConnection lease = acquire();
  return pgfast::commit_position(*lease);
}

std::vector<ServerStats> Database::server_stats() const {
  ServerStats primary;
  primary.name = detail::server_name(pool_->options().url);
  primary.role = ServerRole::primary;
  primary.state = ServerState::available;
  primary.pool = pool_->stats();
  primary.reads = replicas_->primary_reads();
  std::vector<ServerStats> out{std::move(primary)};
  for (ServerStats& s : replicas_->stats()) out.push_back(std::move(s));
  return out;
}

PoolStats Database::stats() const {
  return pool_->stats();
}

const DatabaseOptions& Database::options() const noexcept {
  return pool_->options();
}

}  // namespace pgfast
