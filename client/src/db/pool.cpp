#include "db/pool.hpp"

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
  if (o.statement_cache != StatementCacheMode::automatic &&
      o.statement_cache != StatementCacheMode::on && o.statement_cache != StatementCacheMode::off) {
    throw ConfigurationError(
        "pgfast::Database: statement_cache must be automatic, on or off, got " +
        std::to_string(static_cast<int>(o.statement_cache)));
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
  c.statement_cache = o.statement_cache;
  return c;
}

}  // namespace

Pool::Pool(DatabaseOptions options)
    : options_(validated(std::move(options))),
      connection_options_(connection_options(options_)),
      slots_(
          static_cast<std::size_t>(options_.pool_size) +
              static_cast<std::size_t>(options_.max_overflow),
          [this](std::size_t in_use, std::size_t idle) { gauges_.set_connections(in_use, idle); }) {
  gauges_ = bind_pool_metrics(options_.metrics.get(), options_.metrics_name,
                              {slots_.waits(), slots_.timeouts(), acquired_total_, created_,
                               closed_count_, recycled_, broken_replaced_});
}

Pool::~Pool() {
  close();
}

std::unique_ptr<Connection> Pool::connect() {
  auto conn = std::make_unique<Connection>(connection_options_);
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
  timeout = std::max(timeout, std::chrono::milliseconds::zero());
  auto loan = slots_.acquire(std::chrono::steady_clock::now() + timeout);
  using Outcome = LifoPool<Connection>::Loan::Outcome;
  if (loan.outcome == Outcome::closed) throw ClientError("pgfast::Database: the pool is closed");
  if (loan.outcome == Outcome::timed_out) {
    throw PoolTimeoutError(options_.pool_size, options_.max_overflow, timeout);
  }

  std::unique_ptr<Connection> conn = std::move(loan.conn);
  try {
    if (conn) {
      CloseReason reason = CloseReason::returned;
      if (!fit_for_loan(*conn, reason)) {
        conn.reset();  // PQfinish; the slot stays reserved for the replacement
        count_closed(reason);
      }
    }
    if (!conn) conn = connect();
  } catch (...) {
    slots_.cancel_open();
    throw;
  }
  ++acquired_total_;
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
  // QueuePool semantics: keep up to pool_size idle connections, close the overflow — unless a
  // borrower is waiting, who would otherwise have to open a new one.
  const bool reusable = !discard && reason == CloseReason::returned;
  if (!slots_.give_back(std::move(conn), reusable, static_cast<std::size_t>(options_.pool_size))) {
    count_closed(reason);
  }
}

void Pool::count_closed(CloseReason reason) noexcept {
  ++closed_count_;
  if (reason == CloseReason::broken) ++broken_replaced_;
  if (reason == CloseReason::recycled) ++recycled_;
}

void Pool::close() noexcept {
  closed_count_ += slots_.close();
}

PoolStats Pool::stats() const {
  const LifoPoolCounts counts = slots_.counts();
  PoolStats s;
  s.pool_size = static_cast<std::size_t>(options_.pool_size);
  s.max_overflow = static_cast<std::size_t>(options_.max_overflow);
  s.open = counts.open;
  s.idle = counts.idle;
  s.in_use = counts.in_use;
  s.waiting = counts.waiting;
  s.created = created_;
  s.closed = closed_count_;
  s.recycled = recycled_;
  s.broken_replaced = broken_replaced_;
  s.timeouts = slots_.timeouts();
  s.acquired_total = acquired_total_;
  s.waits = slots_.waits();
  return s;
}

}  // namespace pgfast::detail
