#include "pgfast/pooled_connection.hpp"

#include <utility>

#include "pool.hpp"

namespace pgfast {

PooledConnection& PooledConnection::operator=(PooledConnection&& other) noexcept {
  if (this != &other) {
    release();
    pool_ = std::move(other.pool_);
    conn_ = std::move(other.conn_);
  }
  return *this;
}

void PooledConnection::release() noexcept {
  if (!conn_) return;
  std::shared_ptr<detail::Pool> pool = std::move(pool_);
  pool->give_back(std::move(conn_), /*discard=*/false);
}

void PooledConnection::discard() noexcept {
  if (!conn_) return;
  std::shared_ptr<detail::Pool> pool = std::move(pool_);
  pool->give_back(std::move(conn_), /*discard=*/true);
}

}  // namespace pgfast
