#include "pgfast/db/pooled_connection.hpp"

#include <utility>

#include "db/pool.hpp"

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
  // Before the move: the order in which call arguments are evaluated is unspecified.
  const bool discard = !stop_listening(*conn_);
  pool->give_back(std::move(conn_), discard);
}

bool PooledConnection::stop_listening(Connection& connection) noexcept {
  // A connection still listening would hand its notifications to the next borrower. Inside a
  // transaction UNLISTEN would only count at a COMMIT the pool never sends: close it instead.
  if (!connection.listening()) return true;
  if (connection.transaction_status() != TransactionStatus::idle) return false;
  try {
    connection.unlisten_all();
  } catch (...) {
    return false;
  }
  return !connection.listening();
}

void PooledConnection::discard() noexcept {
  if (!conn_) return;
  std::shared_ptr<detail::Pool> pool = std::move(pool_);
  pool->give_back(std::move(conn_), /*discard=*/true);
}

}  // namespace pgfast
