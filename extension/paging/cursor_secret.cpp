#include "paging/cursor_secret.hpp"

#include "core/error.hpp"
#include "paging/settings.hpp"
#include "pg/guard.hpp"

extern "C" {
#include "access/heapam.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/namespace.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"
}

namespace pgfast::paging {

namespace {

Oid key_table_oid() {
  Oid schema = get_namespace_oid("pgfast", true);
  return OidIsValid(schema) ? get_relname_relid("cursor_key", schema) : InvalidOid;
}

// Reads the first row of the key table into a palloc'd bytea (nullptr when empty). Only
// PostgreSQL calls: run inside pg::call.
bytea* read_key_table(Oid table) {
  Relation rel = table_open(table, AccessShareLock);
  TableScanDesc scan = table_beginscan(rel, GetActiveSnapshot(), 0, nullptr);
  bytea* key = nullptr;
  HeapTuple tuple = heap_getnext(scan, ForwardScanDirection);
  if (tuple != nullptr) {
    bool is_null;
    Datum value = heap_getattr(tuple, 1, RelationGetDescr(rel), &is_null);
    if (!is_null) key = DatumGetByteaPCopy(value);
  }
  table_endscan(scan);
  table_close(rel, AccessShareLock);
  return key;
}

}  // namespace

std::string cursor_secret() {
  if (settings.cursor_secret != nullptr && settings.cursor_secret[0] != '\0') {
    return std::string("setting:") + settings.cursor_secret;
  }
  // Cached per backend, keyed by the table's OID (a re-created extension has a new table and a
  // new key; the key is never updated in place).
  static Oid cached_table = InvalidOid;
  static std::string cached_key;
  Oid table = pg::call([] { return key_table_oid(); });
  if (!OidIsValid(table) || table != cached_table) {
    bytea* key = OidIsValid(table) ? pg::call([table] { return read_key_table(table); }) : nullptr;
    if (key == nullptr) {
      throw Error(sqlstate::kObjectNotInPrerequisiteState,
                  "pgfast has no cursor key in this database",
                  "The table pgfast.cursor_key is missing or empty.",
                  "Set pgfast.cursor_secret, or re-create the extension.");
    }
    cached_key.assign(VARDATA_ANY(key), VARSIZE_ANY_EXHDR(key));
    cached_table = table;
    pfree(key);
  }
  return "table:" + cached_key;
}

}  // namespace pgfast::paging
