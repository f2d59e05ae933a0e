#include "pg/subtransaction.hpp"

#include "pg/fault_points.hpp"
#include "pg/guard.hpp"

extern "C" {
#include "access/xact.h"
}

namespace pgfast::pg {

Subtransaction::Subtransaction()
    : context_(CurrentMemoryContext),
      owner_(CurrentResourceOwner),
      parent_level_(GetCurrentTransactionNestLevel()),
      open_(false) {
  try {
    call([] { BeginInternalSubTransaction(nullptr); });
  } catch (...) {
    // Failed half way (the new level was pushed): leave the transaction as the caller had it.
    open_ = GetCurrentTransactionNestLevel() > parent_level_;
    close();
    throw;
  }
  open_ = true;
  // BeginInternalSubTransaction switches to the subtransaction's context; keep the caller's.
  MemoryContextSwitchTo(context_);
}

Subtransaction::~Subtransaction() {
  close();
}

void Subtransaction::commit() {
  call([] { ReleaseCurrentSubTransaction(); });
  open_ = false;
  restore();
}

void Subtransaction::close() noexcept {
  if (!open_) return;
  open_ = false;
  // As plpgsql does in its exception handler: roll back, then restore context and owner. The
  // rollback is guarded (this runs while an exception unwinds); a failed attempt is retried once
  // (AbortSubTransaction tolerates being run again after an interrupted attempt).
  for (int attempt = 0; attempt < 2 && GetCurrentTransactionNestLevel() > parent_level_;
       ++attempt) {
    cleanup_call("subtransaction rollback", [attempt] {
      if (attempt == 0) fault_point_in_pg("subtransaction_rollback");
      RollbackAndReleaseCurrentSubTransaction();
    });
  }
  restore();
  if (GetCurrentTransactionNestLevel() > parent_level_) {
    // An internal subtransaction still open when the error reaches the top level leaves the
    // session in a transaction state client commands do not expect: end the session instead
    // (FATAL exits, it does not longjmp).
    ereport(FATAL, (errcode(ERRCODE_INTERNAL_ERROR),
                    errmsg("pgfast: could not roll back an internal subtransaction")));
  }
}

void Subtransaction::restore() noexcept {
  MemoryContextSwitchTo(context_);
  CurrentResourceOwner = owner_;
}

}  // namespace pgfast::pg
