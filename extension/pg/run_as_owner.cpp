#include "pg/run_as_owner.hpp"

#include "pg/guard.hpp"

extern "C" {
#include "access/htup_details.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_class.h"
#include "utils/syscache.h"
}

namespace pgfast::pg {

RunAsOwner::RunAsOwner() : RunAsOwner(BOOTSTRAP_SUPERUSERID) {}

RunAsOwner::RunAsOwner(Oid role) {
  GetUserIdAndSecContext(&saved_user_, &saved_context_);
  SetUserIdAndSecContext(
      role, saved_context_ | SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
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

Oid relation_owner(Oid relation) {
  return call([relation] {
    HeapTuple tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relation));
    if (!HeapTupleIsValid(tuple)) {
      ereport(ERROR, (errcode(ERRCODE_UNDEFINED_TABLE),
                      errmsg("relation with OID %u does not exist", relation)));
    }
    Oid owner = reinterpret_cast<Form_pg_class>(GETSTRUCT(tuple))->relowner;
    ReleaseSysCache(tuple);
    return owner;
  });
}

}  // namespace pgfast::pg
