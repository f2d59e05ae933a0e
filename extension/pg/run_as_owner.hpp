// Runs a scope as the bootstrap superuser (SECURITY_LOCAL_USERID_CHANGE, as SECURITY DEFINER
// functions and foreign-key checks do), for pgfast's own tables that no ordinary role may touch.
// The caller's user and security context come back on scope exit; if an error aborts the
// transaction first, the transaction abort restores them as well.
#pragma once

#include "pg/postgres.hpp"

namespace pgfast::pg {

class RunAsOwner {
 public:
  RunAsOwner();
  ~RunAsOwner();
  RunAsOwner(const RunAsOwner&) = delete;
  RunAsOwner& operator=(const RunAsOwner&) = delete;

 private:
  Oid saved_user_;
  int saved_context_;
};

}  // namespace pgfast::pg
