#include "pg/index_relation.hpp"

#include "pg/guard.hpp"

extern "C" {
#include "access/gin_private.h"
#include "access/relation.h"
#include "catalog/index.h"
#include "catalog/pg_am.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"
}

namespace pgfast::pg {

namespace {

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
int64 pending_pages_unguarded(Oid index_oid) {
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
int64 index_size_unguarded(Oid index_oid) {
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

bool readable_index(Oid index) {
  return call([index] {
    if (get_rel_relkind(index) != RELKIND_INDEX) return false;
    Oid table = IndexGetRelation(index, true);
    return OidIsValid(table) && pg_class_aclcheck(table, GetUserId(), ACL_SELECT) == ACLCHECK_OK;
  });
}

std::optional<int64> gin_pending_pages(Oid index) {
  int64 pages = call([index] { return pending_pages_unguarded(index); });
  if (pages < 0) return std::nullopt;
  return pages;
}

std::optional<int64> index_size(Oid index) {
  int64 bytes = call([index] { return index_size_unguarded(index); });
  if (bytes < 0) return std::nullopt;
  return bytes;
}

}  // namespace pgfast::pg
