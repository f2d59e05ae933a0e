#include "pool.hpp"

#include <algorithm>
#include <utility>

#include "pgfast/errors.hpp"

namespace pgfast::detail {

namespace {

DatabaseOptions validated(DatabaseOptions o) {
  if (o.url.empty()) throw ConfigurationError("pgfast::Database: url must not be empty");
  if (o.pool_size < 1) {
    throw ConfigurationError("pgfast::Database: pool_size must be >= 1, got " +
                             std::to_string(o.pool_size));
  }
  if (o.max_overflow < 0) {
    throw ConfigurationError("pgfast::Database: max_overflow must be >= 0, got " +
                             std::to_string(o.max_overflow));
  }
  if (o.acquire_timeout.count() < 0) o.acquire_timeout = std::chrono::milliseconds(0);
  return o;
}

ConnectionOptions connection_options(const DatabaseOptions& o) {
  ConnectionOptions c;
  c.url = o.url;
  c.application_name = o.application_name;
  c.connect_timeout = o.connect_timeout;
  c.statement_cache_capacity = o.statement_cache_capacity;
  return c;
}

}  // namespace

Pool::Pool(DatabaseOptions options)
    : options_(validated(std::move(options))),
      connection_options_(connection_options(options_)),
      capacity_(static_cast<std::size_t>(options_.pool_size) +
                static_cast<std::size_t>(options_.max_overflow)) {
  // Enough that give_back() (noexcept) does not allocate in the common case.
  idle_.reserve(std::min<std::size_t>(capacity_, 1024));
  gauges_ = bind_pool_metrics(
      options_.metrics.get(), options_.metrics_name,
      {waits_, timeouts_, acquired_total_, created_, closed_count_, recycled_, broken_replaced_});
}

Pool::~Pool() {
  close();
}

std::unique_ptr<Connection> Pool::connect() {
  auto conn = std::make_unique<Connection>(connection_options_);
  std::lock_guard<std::mutex> lock(mutex_);
  ++created_;
  return conn;
}

bool Pool::fit_for_loan(Connection& conn, CloseReason& reason) noexcept {
  if (options_.recycle.count() >= 0 &&
      std::chrono::steady_clock::now() - conn.created_at() >= options_.recycle) {
    reason = CloseReason::recycled;
    return false;
  }
  if (!conn.usable() || conn.transaction_status() != TransactionStatus::idle ||
      (options_.pre_ping && !conn.ping())) {
    reason = CloseReason::broken;
    return false;
  }
  return true;
}

PooledConnection Pool::acquire(std::chrono::milliseconds timeout) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::max(timeout, std::chrono::milliseconds::zero());
  std::unique_ptr<Connection> conn;
  bool waited = false;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      if (closed_) throw ClientError("pgfast::Database: the pool is closed");
      if (!idle_.empty()) {
        conn = std::move(idle_.back());
        idle_.pop_back();
        break;
      }
      if (open_ < capacity_) {
        ++open_;  // reserve the slot; the connection is opened below, outside the lock
        break;
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        ++timeouts_;
        throw PoolTimeoutError(options_.pool_size, options_.max_overflow,
                               std::max(timeout, std::chrono::milliseconds::zero()));
      }
      if (!waited) ++waits_;
      waited = true;
      ++waiting_;
      available_.wait_until(lock, deadline);
      --waiting_;
    }
    ++in_use_;
    gauges_.set_connections(in_use_, idle_.size());
  }

  try {
    if (conn) {
      CloseReason reason = CloseReason::returned;
      if (!fit_for_loan(*conn, reason)) {
        conn.reset();  // PQfinish, outside the lock; the slot stays reserved for the replacement
        std::lock_guard<std::mutex> lock(mutex_);
        ++closed_count_;
        ++(reason == CloseReason::recycled ? recycled_ : broken_replaced_);
      }
    }
    if (!conn) conn = connect();
  } catch (...) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      --open_;
      --in_use_;
      gauges_.set_connections(in_use_, idle_.size());
    }
    available_.notify_one();
    throw;
  }

  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++acquired_total_;
  }
  return PooledConnection(shared_from_this(), std::move(conn));
}

void Pool::give_back(std::unique_ptr<Connection> conn, bool discard) noexcept {
  CloseReason reason = CloseReason::returned;
  if (!discard) {
    switch (conn->broken() ? TransactionStatus::unknown : conn->transaction_status()) {
      case TransactionStatus::idle:
        break;
      case TransactionStatus::in_transaction:
      case TransactionStatus::in_error:
        // Left inside a transaction: roll it back so the next borrower starts clean.
        try {
          conn->execute("ROLLBACK");
        } catch (...) {
        }
        if (conn->transaction_status() != TransactionStatus::idle) reason = CloseReason::broken;
        break;
      case TransactionStatus::active:  // e.g. a COPY left unfinished
      case TransactionStatus::unknown:
        reason = CloseReason::broken;
        break;
    }
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    --in_use_;
    // QueuePool semantics: keep up to pool_size idle connections, close the overflow — unless a
    // borrower is waiting, who would otherwise have to open a new one.
    const bool keep = !discard && reason == CloseReason::returned && !closed_ &&
                      (idle_.size() < static_cast<std::size_t>(options_.pool_size) || waiting_ > 0);
    if (keep) {
      try {
        idle_.push_back(std::move(conn));
      } catch (...) {
        // Out of memory: close it below instead.
      }
      if (!conn) {
        gauges_.set_connections(in_use_, idle_.size());
        available_.notify_one();
        return;
      }
    }
    gauges_.set_connections(in_use_, idle_.size());
  }
  close_connection(std::move(conn), reason);
}

void Pool::close_connection(std::unique_ptr<Connection> conn, CloseReason reason) noexcept {
  conn.reset();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    --open_;
    ++closed_count_;
    if (reason == CloseReason::broken) ++broken_replaced_;
    if (reason == CloseReason::recycled) ++recycled_;
  }
  available_.notify_one();
}

void Pool::close() noexcept {
  std::vector<std::unique_ptr<Connection>> idle;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
    idle.swap(idle_);
    open_ -= idle.size();
    closed_count_ += idle.size();
    gauges_.set_connections(in_use_, 0);
  }
  available_.notify_all();
  idle.clear();
}

PoolStats Pool::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  PoolStats s;
  s.pool_size = static_cast<std::size_t>(options_.pool_size);
  s.max_overflow = static_cast<std::size_t>(options_.max_overflow);
  s.open = open_;
  s.idle = idle_.size();
  s.in_use = in_use_;
  s.waiting = waiting_;
  s.created = created_;
  s.closed = closed_count_;
  s.recycled = recycled_;
  s.broken_replaced = broken_replaced_;
  s.timeouts = timeouts_;
  s.acquired_total = acquired_total_;
  s.waits = waits_;
  return s;
}

}  // namespace pgfast::detail
