// pgfast.wait_index_job(job_id, timeout_ms): as a function (SELECT) and as a procedure (CALL),
// two C entry points over one implementation.
#include <string>
#include <vector>

#include "core/error.hpp"
#include "pg/datum.hpp"
#include "pg/guard.hpp"
#include "pg/run_as_owner.hpp"
#include "pg/spi.hpp"
#include "pg/sql_function.hpp"

extern "C" {
#include "access/transam.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "nodes/parsenodes.h"
#include "nodes/plannodes.h"
#include "storage/lock.h"
#include "tcop/pquery.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/procarray.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"
}

namespace pgfast::indexes {

namespace {

// CREATE INDEX CONCURRENTLY waits for every transaction holding a snapshot older than its own
// (WaitForOlderSnapshots) and for every holder of a lock on the table that conflicts with SHARE
// (WaitForLockers). A backend waiting for the build while holding either would wait for a build
// that waits for it.
//
// * The procedure (CALL pgfast.wait_index_job(job, timeout_ms, NULL)) is non-atomic: it commits
//   after every poll, so between polls it holds no snapshot and no lock.
// * The function (SELECT pgfast.wait_index_job(job)) runs inside a statement, whose snapshot it
//   cannot drop. It waits only when nothing can read with that snapshot after the wait: outside a
//   transaction block, in a statement that is this call alone (SELECT without FROM, one output
//   column: the transaction ends with it). Then it sets PROC_IN_SAFE_IC, the flag concurrent
//   builds use for the same reason ("my snapshot reads nothing you are indexing"), for the wait
//   only. Any other shape is refused with a hint to use CALL.
//
// The flag is set and cleared through the guard (pg::call): between LWLockAcquire and
// LWLockRelease only plain stores run, so nothing can throw or ereport while the lock is held. If
// clearing fails while an error unwinds, the transaction's end clears the flag anyway
// (PROC_IN_SAFE_IC is in PROC_VACUUM_STATE_MASK, reset by ProcArrayEndTransaction).
class SafeForConcurrentBuilds {
 public:
  SafeForConcurrentBuilds() {
    pg::call([] { set(true); });
  }
  ~SafeForConcurrentBuilds() {
    try {
      pg::call([] { set(false); });
    } catch (...) {  // NOLINT(bugprone-empty-catch): cleared at transaction end (above)
    }
  }
  SafeForConcurrentBuilds(const SafeForConcurrentBuilds&) = delete;
  SafeForConcurrentBuilds& operator=(const SafeForConcurrentBuilds&) = delete;

 private:
  // Plain PostgreSQL calls (pg::call).
  static void set(bool on) {
    LWLockAcquire(ProcArrayLock, LW_EXCLUSIVE);
    if (on) {
      MyProc->statusFlags |= PROC_IN_SAFE_IC;
    } else {
      MyProc->statusFlags &= ~PROC_IN_SAFE_IC;
    }
    ProcGlobal->statusFlags[MyProc->pgxactoff] = MyProc->statusFlags;
    LWLockRelease(ProcArrayLock);
  }
};

// Plain PostgreSQL calls. Whether the active statement is `SELECT <this call>` and nothing else,
// outside a transaction block (see above).
bool called_alone_in_autocommit(FunctionCallInfo fcinfo) {
  if (IsTransactionBlock() || ActivePortal == nullptr) return false;
  if (list_length(ActivePortal->stmts) != 1) return false;
  auto* stmt = linitial_node(PlannedStmt, ActivePortal->stmts);
  if (stmt->commandType != CMD_SELECT || stmt->planTree == nullptr) return false;
  Plan* plan = stmt->planTree;
  if (!IsA(plan, Result) || plan->lefttree != nullptr || plan->qual != NIL) return false;
  int outputs = 0;
  bool ours = false;
  ListCell* cell;
  foreach (cell, plan->targetlist) {
    auto* entry = lfirst_node(TargetEntry, cell);
    if (entry->resjunk) continue;
    ++outputs;
    ours = reinterpret_cast<Node*>(entry->expr) == fcinfo->flinfo->fn_expr;
  }
  return outputs == 1 && ours;
}

// Plain PostgreSQL calls: whether this backend holds a lock on `relation` that a concurrent build
// waits for (ROW EXCLUSIVE or stronger).
bool holds_conflicting_lock(Oid relation) {
  static const LOCKMODE modes[] = {RowExclusiveLock, ShareUpdateExclusiveLock,
                                   ShareLock,        ShareRowExclusiveLock,
                                   ExclusiveLock,    AccessExclusiveLock};
  LOCKTAG tag;
  SET_LOCKTAG_RELATION(tag, MyDatabaseId, relation);
  for (LOCKMODE mode : modes) {
    if (LockHeldByMe(&tag, mode)) return true;
  }
  return false;
}

struct JobState {
  std::string state;
  Oid relation = InvalidOid;
};

// One look at the job row, as its owner; checks that the caller may see it.
JobState read_job(pg::SpiSession& spi, int64 job, Oid caller) {
  pg::RunAsOwner owner;
  pg::SpiArgs args;
  args.add(INT8OID, Int64GetDatum(job));
  args.add(OIDOID, ObjectIdGetDatum(caller));
  spi.execute(
      "SELECT state, xmin, pg_catalog.pg_has_role($2, requested_by, 'MEMBER'), relation "
      "FROM pgfast.index_job WHERE job_id OPERATOR(pg_catalog.=) $1",
      args, false);
  if (spi.rows() == 0) {
    throw Error(sqlstate::kInvalidParameterValue,
                "index job " + std::to_string(job) + " does not exist");
  }
  if (spi.text_not_null(0, 2) != "t") {
    throw Error(sqlstate::kInsufficientPrivilege,
                "permission denied for index job " + std::to_string(job),
                "Only members of the role that requested it may wait for it.");
  }
  JobState result;
  result.state = spi.text_not_null(0, 0);
  result.relation = static_cast<Oid>(std::stoul(spi.text_not_null(0, 3)));
  bool is_null;
  TransactionId xmin = DatumGetTransactionId(spi.datum(0, 1, &is_null));
  bool ours = pg::call([xmin] { return TransactionIdIsCurrentTransactionId(xmin); });
  if (ours && result.state == "queued") {
    throw Error(sqlstate::kObjectNotInPrerequisiteState,
                "index job " + std::to_string(job) + " was queued by this transaction",
                "The build starts when the transaction that queued it commits.",
                "Commit, then wait in a new transaction.");
  }
  return result;
}

bool finished(const std::string& state) {
  return state == "done" || state == "failed";
}

void sleep_a_poll() {
  pg::call([] {
    (void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 50L,
                    PG_WAIT_EXTENSION);
    ResetLatch(MyLatch);
    CHECK_FOR_INTERRUPTS();
  });
}

// One call waits at most a day (the build goes on; wait again).
constexpr int kMaxWaitMs = 86400000;

constexpr const char* kUseCall =
    "Call it as a statement of its own outside a transaction block "
    "(SELECT pgfast.wait_index_job(42)), or use the procedure: "
    "CALL pgfast.wait_index_job(42, 600000, NULL).";

std::string wait_index_job_impl(FunctionCallInfo fcinfo, bool procedure) {
  if (PG_ARGISNULL(0)) throw Error(sqlstate::kNullValueNotAllowed, "job_id must not be NULL");
  int64 job = PG_GETARG_INT64(0);
  int timeout_ms = PG_ARGISNULL(1) ? 600000 : PG_GETARG_INT32(1);
  if (timeout_ms < 0 || timeout_ms > kMaxWaitMs) {
    throw Error(sqlstate::kInvalidParameterValue,
                "timeout_ms must be between 0 and " + std::to_string(kMaxWaitMs),
                "got " + std::to_string(timeout_ms) + ".",
                "Wait again after the timeout: the call returns the current state.");
  }
  bool nonatomic = procedure && fcinfo->context != nullptr && IsA(fcinfo->context, CallContext) &&
                   !castNode(CallContext, fcinfo->context)->atomic;
  if (procedure && !nonatomic) {
    throw Error(sqlstate::kActiveSqlTransaction,
                "CALL pgfast.wait_index_job cannot run inside a transaction block",
                "It commits between polls so that it holds no snapshot the build waits for.",
                "Run the CALL on its own, outside BEGIN ... COMMIT and outside functions.");
  }
  if (pg::call([] { return IsolationUsesXactSnapshot(); })) {
    throw Error(sqlstate::kFeatureNotSupported, "pgfast.wait_index_job needs READ COMMITTED",
                "Under REPEATABLE READ or SERIALIZABLE the transaction never sees the job finish.");
  }
  Oid caller = pg::call([] { return GetUserId(); });
  TimestampTz deadline = GetCurrentTimestamp() + static_cast<TimestampTz>(timeout_ms) * 1000;
  pg::SpiSession spi(nonatomic);
  JobState first = read_job(spi, job, caller);
  if (finished(first.state) || timeout_ms == 0) return first.state;
  Oid relation = first.relation;
  if (pg::call([relation] { return holds_conflicting_lock(relation); })) {
    throw Error(
        sqlstate::kObjectNotInPrerequisiteState,
        "cannot wait for index job " + std::to_string(job) + " while holding a lock on its table",
        "The build waits for every transaction holding ROW EXCLUSIVE or a stronger lock "
        "on the table.",
        "Commit first, then wait.");
  }
  if (procedure) {
    for (;;) {
      // Ends the transaction (and with it every snapshot and lock) before each sleep.
      pg::call([] { SPI_commit(); });
      if (GetCurrentTimestamp() >= deadline) return read_job(spi, job, caller).state;
      sleep_a_poll();
      std::string state = read_job(spi, job, caller).state;
      if (finished(state)) return state;
    }
  }
  if (!pg::call([fcinfo] { return called_alone_in_autocommit(fcinfo); })) {
    throw Error(sqlstate::kObjectNotInPrerequisiteState,
                "pgfast.wait_index_job would hold a snapshot that index job " +
                    std::to_string(job) + " waits for",
                "Only a statement that is the call alone, outside a transaction block, may wait: "
                "its snapshot reads nothing after the wait.",
                kUseCall);
  }
  SafeForConcurrentBuilds safe;
  for (;;) {
    if (GetCurrentTimestamp() >= deadline) return read_job(spi, job, caller).state;
    sleep_a_poll();
    std::string state = read_job(spi, job, caller).state;
    if (finished(state)) return state;
  }
}

}  // namespace

PGFAST_FUNCTION(pgfast_wait_index_job) {
  return pg::text_datum(wait_index_job_impl(fcinfo, false));
}

// A procedure with an INOUT parameter returns a record (of that one column).
PGFAST_FUNCTION(pgfast_wait_index_job_procedure) {
  Datum state = pg::text_datum(wait_index_job_impl(fcinfo, true));
  return pg::call([fcinfo, state] {
    TupleDesc descriptor;
    if (get_call_result_type(fcinfo, nullptr, &descriptor) != TYPEFUNC_COMPOSITE) {
      elog(ERROR, "pgfast.wait_index_job: the procedure must have one INOUT parameter");
    }
    descriptor = BlessTupleDesc(descriptor);
    Datum values[1] = {state};
    bool nulls[1] = {false};
    return HeapTupleGetDatum(heap_form_tuple(descriptor, values, nulls));
  });
}

}  // namespace pgfast::indexes
