#include "slowlog/visibility.hpp"

#include "pg/guard.hpp"

extern "C" {
#include "catalog/pg_authid.h"
#include "utils/acl.h"
}

namespace pgfast::slowlog {

Visibility::Visibility()
    : me_(GetUserId()),
      all_(pg::call([] { return has_privs_of_role(GetUserId(), ROLE_PG_READ_ALL_STATS); })) {}

bool Visibility::of(Oid role) {
  if (all_ || role == me_) return true;
  auto known = cache_.find(role);
  if (known != cache_.end()) return known->second;
  Oid me = me_;
  bool visible = pg::call([me, role] { return has_privs_of_role(me, role); });
  cache_.emplace(role, visible);
  return visible;
}

}  // namespace pgfast::slowlog
