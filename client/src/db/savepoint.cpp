#include "pgfast/db/savepoint.hpp"

#include <atomic>
#include <cstdint>

#include "pgfast/errors.hpp"
#include "pgfast/db/transaction.hpp"

namespace pgfast {

namespace {

// Unique per process: nested and sibling savepoints never share a name, so ROLLBACK TO always
// reaches the right one.
std::string next_savepoint_name() {
  static std::atomic<std::uint64_t> counter{0};
  return "pgfast_sp_" + std::to_string(counter.fetch_add(1) + 1);
}

}  // namespace

Savepoint::Savepoint(Transaction& transaction) : Savepoint(transaction.connection()) {}

Savepoint::Savepoint(Connection& connection) : conn_(connection) {
  const TransactionStatus status = conn_.transaction_status();
  if (status == TransactionStatus::idle || status == TransactionStatus::unknown) {
    throw UsageError(
        "pgfast: a Savepoint needs an open transaction (begin one with Transaction or "
        "Database::transaction first)");
  }
  name_ = next_savepoint_name();
  conn_.execute("SAVEPOINT " + name_);
  active_ = true;
}

Savepoint::~Savepoint() {
  if (!active_) return;
  try {
    rollback();
  } catch (...) {
    // The connection broke or the transaction ended: the server already discarded the savepoint.
  }
}

void Savepoint::release() {
  if (!active_) throw UsageError("pgfast: release() on a savepoint no longer active");
  active_ = false;
  conn_.execute("RELEASE SAVEPOINT " + name_);
}

void Savepoint::rollback() {
  if (!active_) return;
  active_ = false;
  if (conn_.transaction_status() == TransactionStatus::idle) return;  // the transaction ended
  // One round trip; ROLLBACK TO keeps the savepoint, RELEASE then drops it.
  conn_.execute_script("ROLLBACK TO SAVEPOINT " + name_ + "; RELEASE SAVEPOINT " + name_);
}

}  // namespace pgfast
