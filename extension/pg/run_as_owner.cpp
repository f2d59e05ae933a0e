#include "pg/run_as_owner.hpp"

extern "C" {
#include "catalog/pg_authid.h"
}

namespace pgfast::pg {

RunAsOwner::RunAsOwner() {
  GetUserIdAndSecContext(&saved_user_, &saved_context_);
  SetUserIdAndSecContext(BOOTSTRAP_SUPERUSERID, saved_context_ | SECURITY_LOCAL_USERID_CHANGE);
}

RunAsOwner::~RunAsOwner() {
  SetUserIdAndSecContext(saved_user_, saved_context_);
}

}  // namespace pgfast::pg
