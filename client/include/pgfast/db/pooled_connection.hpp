// pgfast::PooledConnection: a connection borrowed from a Database's pool. Move-only; gives the
// connection back when destroyed. The pool rolls back a transaction left open and closes a
// connection that broke, so it can be dropped in any state; a connection that LISTENs is
// unlistened (or closed) so the next borrower gets none of its notifications.
// Borrows from the pool (it keeps the pool itself alive, so it may outlive the Database handle).
// Not thread-safe: one thread at a time uses the connection.
#pragma once

#include <memory>

#include "pgfast/db/connection.hpp"

namespace pgfast {

namespace detail {
class Pool;
}

class PooledConnection {
 public:
  PooledConnection() noexcept = default;
  PooledConnection(PooledConnection&& other) noexcept = default;
  PooledConnection& operator=(PooledConnection&& other) noexcept;
  ~PooledConnection() { release(); }

  Connection& operator*() const noexcept { return *conn_; }
  Connection* operator->() const noexcept { return conn_.get(); }
  Connection& connection() const noexcept { return *conn_; }
  explicit operator bool() const noexcept { return conn_ != nullptr; }

  // Gives the connection back now (the lease becomes empty).
  void release() noexcept;
  // Closes the connection instead of giving it back (e.g. after leaving it in an unknown
  // session state); the pool opens a new one when needed.
  void discard() noexcept;

 private:
  friend class detail::Pool;
  PooledConnection(std::shared_ptr<detail::Pool> pool, std::unique_ptr<Connection> conn) noexcept
      : pool_(std::move(pool)), conn_(std::move(conn)) {}
  // False when the connection must be closed rather than reused.
  static bool stop_listening(Connection& connection) noexcept;

  std::shared_ptr<detail::Pool> pool_;
  std::unique_ptr<Connection> conn_;
};

}  // namespace pgfast
