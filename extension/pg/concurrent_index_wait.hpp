// What a backend that waits for a concurrent index build (pgfast.wait_index_job) must check and
// set so that the build does not wait for it in turn: CREATE INDEX CONCURRENTLY waits for every
// transaction holding a snapshot older than its own (WaitForOlderSnapshots) and for every holder
// of a lock on the table that conflicts with SHARE (WaitForLockers).
#pragma once

#include "pg/postgres.hpp"

namespace pgfast::pg {

// Sets PROC_IN_SAFE_IC for its lifetime: the flag concurrent builds use for "my snapshot reads
// nothing you are indexing". Only for a statement whose snapshot reads nothing after the wait
// (called_alone_in_autocommit).
//
// The flag is set and cleared through the guard (pg::call): between LWLockAcquire and
// LWLockRelease only plain stores run, so nothing can throw or ereport while the lock is held. If
// clearing fails while an error unwinds, the transaction's end clears the flag anyway
// (PROC_IN_SAFE_IC is in PROC_VACUUM_STATE_MASK, reset by ProcArrayEndTransaction).
class SafeForConcurrentBuilds {
 public:
  SafeForConcurrentBuilds();
  ~SafeForConcurrentBuilds();
  SafeForConcurrentBuilds(const SafeForConcurrentBuilds&) = delete;
  SafeForConcurrentBuilds& operator=(const SafeForConcurrentBuilds&) = delete;

 private:
  // Plain PostgreSQL calls (pg::call).
  static void set(bool on);
};

// Whether the active statement is `SELECT <this call>` and nothing else, outside a transaction
// block: its snapshot reads nothing after the call, and the transaction ends with it.
bool called_alone_in_autocommit(FunctionCallInfo fcinfo);

// Whether this backend holds a lock on `relation` that a concurrent build waits for (ROW
// EXCLUSIVE or stronger).
bool holds_lock_blocking_index_builds(Oid relation);

// Whether this call is a CALL of a procedure outside a transaction block (it may commit).
bool in_nonatomic_call(FunctionCallInfo fcinfo);

// Whether the transaction uses one snapshot throughout (REPEATABLE READ or SERIALIZABLE).
bool uses_transaction_snapshot();

// Whether `xid` is this transaction's (or one of its subtransactions').
bool is_current_transaction(TransactionId xid);

// Sleeps on the latch for at most `ms`, then checks for interrupts (a cancel ends the wait).
void sleep_on_latch(long ms);

// A procedure's one INOUT parameter's result record holding `value`.
Datum single_inout_result(FunctionCallInfo fcinfo, Datum value);

}  // namespace pgfast::pg
