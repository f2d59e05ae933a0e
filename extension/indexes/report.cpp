// The C helpers of pgfast.index_report (a SQL function over the catalogs and statistics):
//  * pgfast._index_size(index): the index's size, like pg_relation_size, without waiting for a
//    lock: another session holding a conflicting lock (an open DROP INDEX, REINDEX) would
//    otherwise stall every role's index_report; then the size recorded in pg_class is shown.
//  * pgfast._gin_pending_pages(index): the pending-list length from a GIN index's metapage (NULL
//    while another session holds a conflicting lock).
//  * pgfast._index_duplicate_of(index): an older index of the same table with the same definition,
//    compared as ensure_index compares (pg_index fields and expression trees). Only 0.1.0's
//    index_report calls it (a comparison of every pair of a table's indexes); 0.2.0's sorts on
//    the stored definitions instead.
#include <optional>
#include <string>

#include "indexes/definition.hpp"
#include "pg/datum.hpp"
#include "pg/guard.hpp"
#include "pg/sql_function.hpp"

extern "C" {
#include "access/gin_private.h"
#include "access/relation.h"
#include "catalog/index.h"
#include "catalog/pg_am.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"
}

namespace pgfast::indexes {

namespace {

// Whether `index` is an index the caller may look into (SELECT on its table), else false.
bool readable_index(Oid index) {
  return pg::call([index] {
    if (get_rel_relkind(index) != RELKIND_INDEX) return false;
    Oid table = IndexGetRelation(index, true);
    return OidIsValid(table) && pg_class_aclcheck(table, GetUserId(), ACL_SELECT) == ACLCHECK_OK;
  });
}

// The index opened with an ACCESS SHARE lock if that lock is free right now, else nullptr: the
// report waits for no one. Close with close_unlocked. Plain PostgreSQL calls.
Relation open_if_unlocked(Oid index_oid) {
  if (!ConditionalLockRelationOid(index_oid, AccessShareLock)) return nullptr;
  Relation index = try_relation_open(index_oid, NoLock);
  if (index == nullptr) UnlockRelationOid(index_oid, AccessShareLock);
  return index;
}

void close_unlocked(Relation index) {
  relation_close(index, AccessShareLock);
}

// -1 when `index` is not a GIN index, has no metapage yet (CREATE INDEX CONCURRENTLY creates
// the index empty and builds it later), is another session's temporary index (its pages live
// in that session's local buffers), or is locked by another session. Plain PostgreSQL calls.
int64 pending_pages(Oid index_oid) {
  Relation index = open_if_unlocked(index_oid);
  if (index == nullptr) return -1;
  int64 pages = -1;
  if (index->rd_rel->relam == GIN_AM_OID && !RELATION_IS_OTHER_TEMP(index) &&
      RelationGetNumberOfBlocks(index) > 0) {
    Buffer buffer = ReadBuffer(index, GIN_METAPAGE_BLKNO);
    LockBuffer(buffer, BUFFER_LOCK_SHARE);
    pages = GinPageGetMeta(BufferGetPage(buffer))->nPendingPages;
    UnlockReleaseBuffer(buffer);
  }
  close_unlocked(index);
  return pages;
}

// Bytes of the index's main fork; the size pg_class recorded (relpages, as of the last VACUUM,
// ANALYZE or build) when the index is locked by another session or is its temporary index; -1
// when it is gone. Plain PostgreSQL calls.
int64 index_size(Oid index_oid) {
  Relation index = open_if_unlocked(index_oid);
  if (index != nullptr && !RELATION_IS_OTHER_TEMP(index)) {
    const int64 bytes = static_cast<int64>(RelationGetNumberOfBlocks(index)) * BLCKSZ;
    close_unlocked(index);
    return bytes;
  }
  if (index != nullptr) close_unlocked(index);
  HeapTuple tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(index_oid));
  if (!HeapTupleIsValid(tuple)) return -1;
  const int64 bytes =
      static_cast<int64>(reinterpret_cast<Form_pg_class>(GETSTRUCT(tuple))->relpages) * BLCKSZ;
  ReleaseSysCache(tuple);
  return bytes;
}

}  // namespace

PGFAST_FUNCTION(pgfast_index_duplicate_of) {
  Oid index = PG_GETARG_OID(0);
  if (!readable_index(index)) PG_RETURN_NULL();
  std::optional<std::string> name = duplicate_of(index);
  if (!name) PG_RETURN_NULL();
  return pg::text_datum(*name);
}

PGFAST_FUNCTION(pgfast_gin_pending_pages) {
  Oid index = PG_GETARG_OID(0);
  if (!readable_index(index)) PG_RETURN_NULL();
  int64 pages = pg::call([index] { return pending_pages(index); });
  if (pages < 0) PG_RETURN_NULL();
  PG_RETURN_INT64(pages);
}

PGFAST_FUNCTION(pgfast_index_size) {
  Oid index = PG_GETARG_OID(0);
  int64 bytes = pg::call([index] { return index_size(index); });
  if (bytes < 0) PG_RETURN_NULL();
  PG_RETURN_INT64(bytes);
}

}  // namespace pgfast::indexes
