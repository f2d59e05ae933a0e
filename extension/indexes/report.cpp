// The C helpers of pgfast.index_report (a SQL function over the catalogs and statistics):
//  * pgfast._gin_pending_pages(index): the pending-list length from a GIN index's metapage.
//  * pgfast._index_duplicate_of(index): an older index of the same table with the same definition,
//    compared as ensure_index compares (pg_index fields and expression trees). Only 0.1.0's
//    index_report calls it (a comparison of every pair of a table's indexes); 0.2.0's sorts on
//    the stored definitions instead.
#include <optional>
#include <string>

#include "indexes/definition.hpp"
#include "pg/datum.hpp"
#include "pg/guard.hpp"

extern "C" {
#include "access/gin_private.h"
#include "access/relation.h"
#include "catalog/index.h"
#include "catalog/pg_am.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
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

// -1 when `index` is not a GIN index, has no metapage yet (CREATE INDEX CONCURRENTLY creates
// the index empty and builds it later), or is another session's temporary index (its pages live
// in that session's local buffers). Plain PostgreSQL calls.
int64 pending_pages(Oid index_oid) {
  Relation index = relation_open(index_oid, AccessShareLock);
  int64 pages = -1;
  if (index->rd_rel->relam == GIN_AM_OID && !RELATION_IS_OTHER_TEMP(index) &&
      RelationGetNumberOfBlocks(index) > 0) {
    Buffer buffer = ReadBuffer(index, GIN_METAPAGE_BLKNO);
    LockBuffer(buffer, BUFFER_LOCK_SHARE);
    pages = GinPageGetMeta(BufferGetPage(buffer))->nPendingPages;
    UnlockReleaseBuffer(buffer);
  }
  relation_close(index, AccessShareLock);
  return pages;
}

}  // namespace

}  // namespace pgfast::indexes

extern "C" {
PG_FUNCTION_INFO_V1(pgfast_index_duplicate_of);
Datum pgfast_index_duplicate_of(PG_FUNCTION_ARGS) {
  bool found = false;
  Datum result = pgfast::pg::sql_entry([&] {
    Oid index = PG_GETARG_OID(0);
    if (!pgfast::indexes::readable_index(index)) return static_cast<Datum>(0);
    std::optional<std::string> name = pgfast::indexes::duplicate_of(index);
    if (!name) return static_cast<Datum>(0);
    found = true;
    return pgfast::pg::text_datum(*name);
  });
  if (!found) PG_RETURN_NULL();
  return result;
}

PG_FUNCTION_INFO_V1(pgfast_gin_pending_pages);
Datum pgfast_gin_pending_pages(PG_FUNCTION_ARGS) {
  int64 pages = -1;
  pgfast::pg::sql_entry([&] {
    Oid index = PG_GETARG_OID(0);
    if (pgfast::indexes::readable_index(index)) {
      pages = pgfast::pg::call([index] { return pgfast::indexes::pending_pages(index); });
    }
    return static_cast<Datum>(0);
  });
  if (pages < 0) PG_RETURN_NULL();
  PG_RETURN_INT64(pages);
}
}
