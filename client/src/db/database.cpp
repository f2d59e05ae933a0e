#include "pgfast/db/database.hpp"

#include <utility>

#include "db/pool.hpp"
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
  return o;
}

Database::Database(const Settings& settings) : Database(Options::from_settings(settings)) {}

Database::Database(Options options)
    : pool_(detail::make_shared_handle(std::make_shared<detail::Pool>(std::move(options)))) {}

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

PoolStats Database::stats() const {
  return pool_->stats();
}

const DatabaseOptions& Database::options() const noexcept {
  return pool_->options();
}

}  // namespace pgfast
