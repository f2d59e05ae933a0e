#include "pgfast/db/transaction.hpp"

#include "pgfast/errors.hpp"
#include "pgfast/db/pooled_connection.hpp"

namespace pgfast {

std::string Transaction::begin_statement(const TransactionOptions& options) {
  std::string sql = "BEGIN";
  switch (options.isolation) {
    case IsolationLevel::server_default:
      break;
    case IsolationLevel::read_committed:
      sql += " ISOLATION LEVEL READ COMMITTED";
      break;
    case IsolationLevel::repeatable_read:
      sql += " ISOLATION LEVEL REPEATABLE READ";
      break;
    case IsolationLevel::serializable:
      sql += " ISOLATION LEVEL SERIALIZABLE";
      break;
  }
  if (options.read_only) sql += " READ ONLY";
  if (options.deferrable) sql += " DEFERRABLE";
  return sql;
}

Transaction::Transaction(PooledConnection& connection, const TransactionOptions& options)
    : Transaction(*connection, options) {}

Transaction::Transaction(Connection& connection, const TransactionOptions& options)
    : conn_(connection) {
  if (conn_.transaction_status() != TransactionStatus::idle) {
    throw_database_error("25001",
                         "pgfast: cannot begin a transaction: the connection is " +
                             std::string(conn_.broken() ? "broken" : "already in a transaction"));
  }
  conn_.execute(begin_statement(options));
  active_ = true;
}

Transaction::~Transaction() {
  if (!active_) return;
  try {
    rollback();
  } catch (...) {
    // A broken connection cannot roll back; the server does so when the session ends, and the
    // pool discards the connection.
  }
}

void Transaction::commit() {
  if (!active_) throw_database_error("25000", "pgfast: commit() on a finished transaction");
  active_ = false;
  const bool failed = conn_.transaction_status() == TransactionStatus::in_error;
  // COMMIT of a failed transaction succeeds with the tag ROLLBACK; report it instead.
  const Result r = conn_.execute("COMMIT");
  if (failed || r.command_tag() == "ROLLBACK") {
    throw_database_error("25P02",
                         "pgfast: the transaction was rolled back instead of committed because a "
                         "statement in it failed");
  }
}

void Transaction::rollback() {
  if (!active_) return;
  active_ = false;
  conn_.execute("ROLLBACK");
}

}  // namespace pgfast
