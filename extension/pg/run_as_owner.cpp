#include "pg/run_as_owner.hpp"

extern "C" {
#include "catalog/pg_authid.h"
}

namespace pgfast::pg {

RunAsOwner::RunAsOwner() {
  GetUserIdAndSecContext(&saved_user_, &saved_context_);
  SetUserIdAndSecContext(BOOTSTRAP_SUPERUSERID, saved_context_ | SECURITY_LOCAL_USERID_CHANGE |
                                                    SECURITY_RESTRICTED_OPERATION);
  try {
    settings_.set("search_path", kSafeSearchPath);
  } catch (...) {
    restore();
    throw;
  }
}

RunAsOwner::~RunAsOwner() {
  restore();
}

void RunAsOwner::restore() noexcept {
  settings_.restore();
  SetUserIdAndSecContext(saved_user_, saved_context_);
}

}  // namespace pgfast::pg
