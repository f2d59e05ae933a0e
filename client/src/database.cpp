#include "pgfast/database.hpp"

#include <utility>

#include "pool.hpp"

namespace pgfast {

DatabaseOptions DatabaseOptions::from_settings(const Settings& settings) {
  DatabaseOptions o;
  o.url = settings.database_url;
  o.pool_size = settings.database_pool_size;
  o.max_overflow = settings.database_max_overflow;
  o.recycle = settings.database_pool_recycle;
  o.pre_ping = settings.database_pool_pre_ping;
  o.acquire_timeout = settings.database_acquire_timeout;
  return o;
}

Database::Database(const Settings& settings) : Database(Options::from_settings(settings)) {}

Database::Database(Options options) : pool_(std::make_shared<detail::Pool>(std::move(options))) {}

Database::~Database() {
  if (pool_) pool_->close();
}

Database::Database(Database&&) noexcept = default;

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    if (pool_) pool_->close();
    pool_ = std::move(other.pool_);
  }
  return *this;
}

Lease Database::acquire() {
  return pool_->acquire(pool_->options().acquire_timeout);
}

Lease Database::acquire(std::chrono::milliseconds timeout) {
  return pool_->acquire(timeout);
}

Result Database::query(std::string_view sql, const Params& params) {
  Lease lease = acquire();
  return lease->execute(sql, params);
}

Result Database::execute_prepared(std::string_view sql, const Params& params) {
  Lease lease = acquire();
  return lease->execute_prepared(sql, params);
}

KeysetPage Database::page(const PageRequest& request) {
  Lease lease = acquire();
  return fetch_page(*lease, request);
}

OffsetPage Database::offset_page(const OffsetPageRequest& request) {
  Lease lease = acquire();
  return fetch_offset_page(*lease, request);
}

std::string Database::ensure_index(const IndexSpec& spec) {
  Lease lease = acquire();
  return pgfast::ensure_index(*lease, spec);
}

FtsPage Database::fts_search(const FtsSearchRequest& request) {
  Lease lease = acquire();
  return pgfast::fts_search(*lease, request);
}

PoolStats Database::stats() const {
  return pool_->stats();
}

const DatabaseOptions& Database::options() const noexcept {
  return pool_->options();
}

}  // namespace pgfast
