// Runs a scope as another role, the way PostgreSQL runs index expressions and maintenance commands
// as a table's owner:
//  * SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION (no SET ROLE, no temp objects,
//    nothing that outlives the scope);
//  * a GUC nest level with search_path = 'pg_catalog, pg_temp', so no name in the SQL run inside
//    the scope resolves through the caller's search_path (a caller's operator `=` would otherwise
//    run as that role). SQL run here must still qualify every function, operator and type.
// RunAsOwner() is the bootstrap superuser, for pgfast's own tables that no ordinary role may touch;
// RunAsOwner(role) is any role, e.g. a relation's owner (relation_owner) for a command that
// evaluates the owner's expressions, so that the owner's code never runs as the caller.
// On scope exit (also while an exception unwinds) the GUC level is rolled back and the caller's
// user and security context come back; if an error aborts the transaction first, the transaction
// abort restores them as well.
#pragma once

#include "pg/local_settings.hpp"
#include "pg/postgres.hpp"

namespace pgfast::pg {

// The search_path every elevated or background statement of pgfast runs with.
inline constexpr const char* kSafeSearchPath = "pg_catalog, pg_temp";

class RunAsOwner {
 public:
  RunAsOwner();
  explicit RunAsOwner(Oid role);
  ~RunAsOwner();
  RunAsOwner(const RunAsOwner&) = delete;
  RunAsOwner& operator=(const RunAsOwner&) = delete;

 private:
  void restore() noexcept;

  Oid saved_user_;
  int saved_context_;
  LocalSettings settings_;
};

// The owner of a relation (pg_class.relowner); 42P01 if there is no such relation.
Oid relation_owner(Oid relation);

}  // namespace pgfast::pg
