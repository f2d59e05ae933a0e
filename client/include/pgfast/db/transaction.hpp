// pgfast::Transaction: BEGIN on construction, COMMIT on commit(), ROLLBACK on destruction if
// not committed (the destructor never throws). Database::transaction(body) wraps the same for a
// callable; pgfast::Savepoint (pgfast/db/savepoint.hpp) nests inside one.
// Borrows the connection; must not outlive it. Not thread-safe; non-copyable.
#pragma once

#include "pgfast/db/connection.hpp"

namespace pgfast {

class PooledConnection;

enum class IsolationLevel { server_default, read_committed, repeatable_read, serializable };

struct TransactionOptions {
  IsolationLevel isolation = IsolationLevel::server_default;
  bool read_only = false;
  // Only meaningful for serializable read-only transactions.
  bool deferrable = false;
};

class Transaction {
 public:
  // Throws InvalidTransactionStateError (25001) if the connection is already inside a transaction.
  explicit Transaction(Connection& connection, const TransactionOptions& options = {});
  explicit Transaction(PooledConnection& connection, const TransactionOptions& options = {});
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  // Throws on failure (the transaction is over either way). Committing a transaction in which a
  // statement failed throws InvalidTransactionStateError (25P02): the server rolled it back.
  void commit();
  void rollback();
  // Neither committed nor rolled back yet.
  bool active() const noexcept { return active_; }

  Connection& connection() const noexcept { return conn_; }
  Connection* operator->() const noexcept { return &conn_; }

  // The BEGIN statement for `options`, e.g. "BEGIN ISOLATION LEVEL SERIALIZABLE READ ONLY".
  static std::string begin_statement(const TransactionOptions& options);

 private:
  Connection& conn_;
  bool active_ = false;
};

}  // namespace pgfast
