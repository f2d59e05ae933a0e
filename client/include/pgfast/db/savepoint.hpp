// pgfast::Savepoint: SAVEPOINT on construction inside an open transaction; release() keeps its
// work (RELEASE SAVEPOINT), rollback() or destruction without release() undoes it (ROLLBACK TO
// SAVEPOINT, then RELEASE). After an error inside it is rolled back, the enclosing transaction is
// usable again. Savepoints nest (destroy inner ones first, as scopes do).
// Borrows the connection; must not outlive it or its transaction. Not thread-safe; non-copyable.
#pragma once

#include <string>
#include <type_traits>

#include "pgfast/db/connection.hpp"

namespace pgfast {

class Transaction;

class Savepoint {
 public:
  // Throws UsageError (nothing sent) when the connection is not inside a transaction; a
  // transaction in which a statement already failed gives the server's
  // InvalidTransactionStateError (25P02).
  explicit Savepoint(Connection& connection);
  explicit Savepoint(Transaction& transaction);
  // Rolls back if neither released nor rolled back; never throws (a connection that broke or a
  // transaction already ended leaves nothing to undo).
  ~Savepoint();
  Savepoint(const Savepoint&) = delete;
  Savepoint& operator=(const Savepoint&) = delete;

  // RELEASE SAVEPOINT: the work stays part of the enclosing transaction. UsageError when no
  // longer active.
  void release();
  // ROLLBACK TO SAVEPOINT + RELEASE: undoes the work since the savepoint; a no-op when no longer
  // active.
  void rollback();
  bool active() const noexcept { return active_; }
  // The unique name sent to the server, e.g. "pgfast_sp_3".
  const std::string& name() const noexcept { return name_; }

 private:
  Connection& conn_;
  std::string name_;
  bool active_ = false;
};

// Runs body() inside a Savepoint on `connection`: released when body returns, rolled back (and the
// exception rethrown) when it throws. Returns what body returned.
template <class F>
auto with_savepoint(Connection& connection, F&& body) -> decltype(body()) {
  Savepoint savepoint(connection);
  if constexpr (std::is_void_v<decltype(body())>) {
    body();
    savepoint.release();
  } else {
    auto result = body();
    savepoint.release();
    return result;
  }
}

}  // namespace pgfast
