// detail::Pool: the state behind a Database, shared with its outstanding leases so that a lease
// released after the Database is gone closes its connection instead of touching freed memory.
// The idle stack, counts and waiting live in a LifoPool; this class is the database policy:
// QueuePool overflow, recycle, pre-ping, broken connections replaced, its stats and metrics.
#pragma once

#include <chrono>
#include <memory>

#include "lifo_pool.hpp"
#include "metrics/metric_counter.hpp"
#include "metrics/metric_families.hpp"
#include "pgfast/db/connection.hpp"
#include "pgfast/db/database.hpp"
#include "pgfast/db/pooled_connection.hpp"
#include "pgfast/db/pool_stats.hpp"

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
  // Counts a connection closed for `reason`.
  void count_closed(CloseReason reason) noexcept;

  const DatabaseOptions options_;
  const ConnectionOptions connection_options_;

  PoolGauges gauges_;  // set by slots_ whenever its in-use or idle count changes
  LifoPool<Connection> slots_;
  // Counters (detail::Counter mirrors them to metrics; waits and timeouts are slots_'s).
  Counter created_;
  Counter closed_count_;
  Counter recycled_;
  Counter broken_replaced_;
  Counter acquired_total_;
};

}  // namespace pgfast::detail
