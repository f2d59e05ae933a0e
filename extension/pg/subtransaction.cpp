#include "pg/subtransaction.hpp"

#include "pg/guard.hpp"

extern "C" {
#include "access/xact.h"
}

namespace pgfast::pg {

Subtransaction::Subtransaction()
    : context_(CurrentMemoryContext), owner_(CurrentResourceOwner), open_(false) {
  call([] { BeginInternalSubTransaction(nullptr); });
  open_ = true;
  // BeginInternalSubTransaction switches to the subtransaction's context; keep the caller's.
  MemoryContextSwitchTo(context_);
}

Subtransaction::~Subtransaction() {
  if (!open_) return;
  // As plpgsql does in its exception handler: roll back, then restore context and owner.
  RollbackAndReleaseCurrentSubTransaction();
  restore();
}

void Subtransaction::commit() {
  call([] { ReleaseCurrentSubTransaction(); });
  open_ = false;
  restore();
}

void Subtransaction::restore() noexcept {
  MemoryContextSwitchTo(context_);
  CurrentResourceOwner = owner_;
}

}  // namespace pgfast::pg
