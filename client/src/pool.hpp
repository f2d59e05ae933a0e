// detail::Pool: the state behind a Database, shared with its outstanding leases so that a lease
// released after the Database is gone closes its connection instead of touching freed memory.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "metric_counter.hpp"
#include "metric_families.hpp"
#include "pgfast/connection.hpp"
#include "pgfast/database.hpp"
#include "pgfast/pooled_connection.hpp"
#include "pgfast/pool_stats.hpp"

namespace pgfast::detail {

class Pool : public std::enable_shared_from_this<Pool> {
 public:
  // Throws ConfigurationError on invalid options.
  explicit Pool(DatabaseOptions options);
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  PooledConnection acquire(std::chrono::milliseconds timeout);
  // Called by PooledConnection: keeps the connection for reuse or closes it.
  void give_back(std::unique_ptr<Connection> conn, bool discard) noexcept;
  // Closes the idle connections; connections given back later are closed too.
  void close() noexcept;

  PoolStats stats() const;
  const DatabaseOptions& options() const noexcept { return options_; }

 private:
  enum class CloseReason { returned, recycled, broken };

  std::unique_ptr<Connection> connect();
  // True when an idle connection may be lent as is (recycle age, state, pre-ping); otherwise
  // sets `reason` to why it must be replaced.
  bool fit_for_loan(Connection& conn, CloseReason& reason) noexcept;
  // Closes a connection (outside the lock) and frees its slot.
  void close_connection(std::unique_ptr<Connection> conn, CloseReason reason) noexcept;

  const DatabaseOptions options_;
  const ConnectionOptions connection_options_;
  const std::size_t capacity_;  // pool_size + max_overflow

  mutable std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<Connection>> idle_;  // a stack: back() is the most recent
  std::size_t open_ = 0;  // slots taken: idle + leased + being opened/closed
  std::size_t in_use_ = 0;
  std::size_t waiting_ = 0;
  bool closed_ = false;
  // Counters (changed under mutex_ like the rest; detail::Counter mirrors them to metrics).
  Counter created_;
  Counter closed_count_;
  Counter recycled_;
  Counter broken_replaced_;
  Counter timeouts_;
  Counter acquired_total_;
  Counter waits_;
  PoolGauges gauges_;  // set where in_use_ and idle_ change
};

}  // namespace pgfast::detail
