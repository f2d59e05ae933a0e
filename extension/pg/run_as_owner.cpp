#include "pg/run_as_owner.hpp"

#include "pg/guard.hpp"

extern "C" {
#include "catalog/pg_authid.h"
#include "utils/guc.h"
}

namespace pgfast::pg {

RunAsOwner::RunAsOwner() {
  GetUserIdAndSecContext(&saved_user_, &saved_context_);
  nest_level_ = call([] { return NewGUCNestLevel(); });
  SetUserIdAndSecContext(BOOTSTRAP_SUPERUSERID, saved_context_ | SECURITY_LOCAL_USERID_CHANGE |
                                                    SECURITY_RESTRICTED_OPERATION);
  try {
    call([] {
      (void)set_config_option("search_path", kSafeSearchPath, PGC_USERSET, PGC_S_SESSION,
                              GUC_ACTION_SAVE, true, 0, false);
    });
  } catch (...) {
    restore();
    throw;
  }
}

RunAsOwner::~RunAsOwner() {
  restore();
}

void RunAsOwner::restore() noexcept {
  int level = nest_level_;
  try {
    call([level] { AtEOXact_GUC(false, level); });
  } catch (...) {
    // Only cleanup is left to do: the transaction abort rolls every GUC level back.
  }
  SetUserIdAndSecContext(saved_user_, saved_context_);
}

}  // namespace pgfast::pg
