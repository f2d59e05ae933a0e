#include "pg/invalid_index.hpp"

#include "core/error.hpp"
#include "pg/guard.hpp"
#include "pg/top_level.hpp"

extern "C" {
#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/dependency.h"
#include "catalog/pg_index.h"
#include "storage/lmgr.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
}

namespace pgfast::pg {

namespace {

// Plain PostgreSQL calls (pg::call). Drops the index `name` of `relation` if it is INVALID (what a
// failed concurrent build leaves), checked and dropped in one transaction, by OID. The table's
// SHARE UPDATE EXCLUSIVE lock comes first: a CREATE INDEX CONCURRENTLY still running on the table
// holds it until it ends, so an index being built is never taken for a leftover. Returns whether
// it dropped one and whether the index is there and valid.
struct LeftoverCheck {
  bool dropped;
  bool valid;
};

// `work` outlives the transactions index_drop commits internally; the caller deletes it.
LeftoverCheck drop_leftover_in_transaction(Oid relation, const char* name, MemoryContext work) {
  LeftoverCheck result{false, false};
  SetCurrentStatementStartTimestamp();
  StartTransactionCommand();
  bool exists = SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relation));
  // No snapshot (not even the catalog's) while waiting for the lock: the build holding it waits
  // for older snapshots, which would be a deadlock.
  InvalidateCatalogSnapshot();
  if (exists) LockRelationOid(relation, ShareUpdateExclusiveLock);
  PushActiveSnapshot(GetTransactionSnapshot());
  if (exists && SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relation))) {
    Oid namespace_oid = get_rel_namespace(relation);
    Oid index = OidIsValid(namespace_oid) ? get_relname_relid(name, namespace_oid) : InvalidOid;
    if (OidIsValid(index)) {
      LockRelationOid(index, ShareUpdateExclusiveLock);
      HeapTuple tuple = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(index));
      bool leftover = false;
      if (HeapTupleIsValid(tuple)) {
        auto* form = reinterpret_cast<Form_pg_index>(GETSTRUCT(tuple));
        leftover = form->indrelid == relation && !form->indisvalid;
        result.valid = form->indrelid == relation && form->indisvalid;
        ReleaseSysCache(tuple);
      }
      if (leftover) {
        // DROP INDEX CONCURRENTLY's own path: index_drop commits internally (and pops the
        // active snapshot).
        // performMultipleDeletions, not performDeletion: only it passes the flag on to the
        // deletion lock (SHARE UPDATE EXCLUSIVE; ACCESS EXCLUSIVE would assign an xid).
        ObjectAddress object;
        ObjectAddressSet(object, RelationRelationId, index);
        (void)MemoryContextSwitchTo(work);  // the current one is freed by index_drop's commit
        ObjectAddresses* objects = new_object_addresses();
        add_exact_object_address(&object, objects);
        performMultipleDeletions(objects, DROP_RESTRICT, PERFORM_DELETION_CONCURRENTLY);
        MemoryContextSwitchTo(CurTransactionContext);
        result.dropped = true;
      }
    }
  }
  if (ActiveSnapshotSet()) PopActiveSnapshot();
  CommitTransactionCommand();
  return result;
}

}  // namespace

std::string drop_invalid_index(Oid relation, const std::string& name, bool* valid) {
  const char* n = name.c_str();
  MemoryContext work = call([] {
    return AllocSetContextCreate(TopMemoryContext, "pgfast drop leftover", ALLOCSET_SMALL_SIZES);
  });
  std::string error;
  try {
    LeftoverCheck check =
        call([relation, n, work] { return drop_leftover_in_transaction(relation, n, work); });
    if (valid != nullptr) *valid = check.valid;
  } catch (const Error& e) {
    abort_transaction();
    error = "; dropping the invalid index failed: " + message_and_detail(e);
  }
  call([work] { MemoryContextDelete(work); });
  return error;
}

}  // namespace pgfast::pg
