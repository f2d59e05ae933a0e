#include "pg/concurrent_index_wait.hpp"

#include "pg/guard.hpp"

extern "C" {
#include "access/transam.h"
#include "access/xact.h"
#include "funcapi.h"
#include "nodes/parsenodes.h"
#include "nodes/plannodes.h"
#include "storage/latch.h"
#include "storage/lock.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/procarray.h"
#include "tcop/pquery.h"
#include "utils/wait_event.h"
}

namespace pgfast::pg {

SafeForConcurrentBuilds::SafeForConcurrentBuilds() {
  call([] { set(true); });
}

SafeForConcurrentBuilds::~SafeForConcurrentBuilds() {
  try {
    call([] { set(false); });
  } catch (...) {  // NOLINT(bugprone-empty-catch): cleared at transaction end (header)
  }
}

void SafeForConcurrentBuilds::set(bool on) {
  LWLockAcquire(ProcArrayLock, LW_EXCLUSIVE);
  if (on) {
    MyProc->statusFlags |= PROC_IN_SAFE_IC;
  } else {
    MyProc->statusFlags &= ~PROC_IN_SAFE_IC;
  }
  ProcGlobal->statusFlags[MyProc->pgxactoff] = MyProc->statusFlags;
  LWLockRelease(ProcArrayLock);
}

namespace {

// Plain PostgreSQL calls.
bool called_alone_unguarded(FunctionCallInfo fcinfo) {
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

// Plain PostgreSQL calls.
bool holds_blocking_lock_unguarded(Oid relation) {
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

}  // namespace

bool called_alone_in_autocommit(FunctionCallInfo fcinfo) {
  return call([fcinfo] { return called_alone_unguarded(fcinfo); });
}

bool holds_lock_blocking_index_builds(Oid relation) {
  return call([relation] { return holds_blocking_lock_unguarded(relation); });
}

bool in_nonatomic_call(FunctionCallInfo fcinfo) {
  return fcinfo->context != nullptr && IsA(fcinfo->context, CallContext) &&
         !castNode(CallContext, fcinfo->context)->atomic;
}

bool uses_transaction_snapshot() {
  return call([] { return IsolationUsesXactSnapshot(); });
}

bool is_current_transaction(TransactionId xid) {
  return call([xid] { return TransactionIdIsCurrentTransactionId(xid); });
}

void sleep_on_latch(long ms) {
  call([ms] {
    (void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, ms,
                    PG_WAIT_EXTENSION);
    ResetLatch(MyLatch);
    CHECK_FOR_INTERRUPTS();
  });
}

Datum single_inout_result(FunctionCallInfo fcinfo, Datum value) {
  return call([fcinfo, value] {
    TupleDesc descriptor;
    if (get_call_result_type(fcinfo, nullptr, &descriptor) != TYPEFUNC_COMPOSITE) {
      elog(ERROR, "pgfast.wait_index_job: the procedure must have one INOUT parameter");
    }
    descriptor = BlessTupleDesc(descriptor);
    Datum values[1] = {value};
    bool nulls[1] = {false};
    return HeapTupleGetDatum(heap_form_tuple(descriptor, values, nulls));
  });
}

}  // namespace pgfast::pg
