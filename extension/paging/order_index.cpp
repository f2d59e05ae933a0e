#include "paging/order_index.hpp"

#include <array>

#include "pg/guard.hpp"

extern "C" {
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/xact.h"
#include "catalog/pg_am.h"
#include "catalog/pg_class.h"
#include "catalog/pg_index.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/syscache.h"
}

namespace pgfast::paging {

namespace {

// The leading key columns of one index, as plain values (filled inside pg::call).
struct IndexKeys {
  bool usable = false;  // valid btree, no predicate, at least as many key columns as the order
  std::array<AttrNumber, INDEX_MAX_KEYS> attnum{};
  std::array<int16, INDEX_MAX_KEYS> option{};
};

// From the catalog caches (no query): called for every page, it must cost next to nothing.
void read_index(Oid index, int n, IndexKeys& out) {
  pg::call([index, n, &out] {
    out.usable = false;
    HeapTuple cls = SearchSysCache1(RELOID, ObjectIdGetDatum(index));
    if (!HeapTupleIsValid(cls)) return;
    bool btree = reinterpret_cast<Form_pg_class>(GETSTRUCT(cls))->relam == BTREE_AM_OID;
    ReleaseSysCache(cls);
    if (!btree) return;
    HeapTuple tuple = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(index));
    if (!HeapTupleIsValid(tuple)) return;
    Form_pg_index form = reinterpret_cast<Form_pg_index>(GETSTRUCT(tuple));
    if (form->indisvalid && form->indnkeyatts >= n &&
        heap_attisnull(tuple, Anum_pg_index_indpred, nullptr)) {
      bool isnull = true;
      Datum options = SysCacheGetAttr(INDEXRELID, tuple, Anum_pg_index_indoption, &isnull);
      if (!isnull) {
        int2vector* indoption = reinterpret_cast<int2vector*>(DatumGetPointer(options));
        for (int k = 0; k < n; ++k) {
          out.attnum[k] = form->indkey.values[k];
          out.option[k] = indoption->values[k];
        }
        out.usable = true;
      }
    }
    ReleaseSysCache(tuple);
  });
}

}  // namespace

bool order_has_index(Oid relation, const std::vector<OrderKey>& order) {
  const int n = static_cast<int>(order.size());
  if (n < 1 || n > INDEX_MAX_KEYS) return false;
  std::array<AttrNumber, INDEX_MAX_KEYS> wanted{};
  for (int k = 0; k < n; ++k) {
    const char* name = order[k].column.c_str();
    wanted[k] = pg::call([relation, name] { return get_attnum(relation, name); });
    if (wanted[k] == InvalidAttrNumber) return false;
  }
  List* indexes = pg::call([relation] {
    Relation rel = relation_open(relation, AccessShareLock);
    List* list = RelationGetIndexList(rel);
    relation_close(rel, AccessShareLock);
    return list;
  });
  int count = pg::call([indexes] { return list_length(indexes); });
  for (int i = 0; i < count; ++i) {
    Oid index = pg::call([indexes, i] { return list_nth_oid(indexes, i); });
    IndexKeys keys;
    read_index(index, n, keys);
    if (!keys.usable) continue;
    bool forward = true;
    bool backward = true;
    for (int k = 0; k < n; ++k) {
      bool desc = (keys.option[k] & INDOPTION_DESC) != 0;
      bool nulls_first = (keys.option[k] & INDOPTION_NULLS_FIRST) != 0;
      bool same_column = keys.attnum[k] == wanted[k];
      forward = forward && same_column && desc == order[k].descending &&
                nulls_first == order[k].nulls_first;
      backward = backward && same_column && desc != order[k].descending &&
                 nulls_first != order[k].nulls_first;
    }
    if (forward || backward) return true;
  }
  return false;
}

void prefer_ordered_index_scans(std::optional<pg::LocalSettings>& settings) {
  // Settings cannot change in parallel mode (page() called above a Gather, in the leader): the
  // plan is then left to the seek ranges' estimates alone.
  if (pg::call([] { return IsInParallelMode(); })) return;
  settings.emplace();
  for (const char* name :
       {"enable_seqscan", "enable_bitmapscan", "enable_sort", "enable_incremental_sort"}) {
    settings->set(name, "off");
  }
}

}  // namespace pgfast::paging
