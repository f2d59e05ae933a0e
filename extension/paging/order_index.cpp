#include "paging/order_index.hpp"

#include <string>

#include "pg/guard.hpp"

extern "C" {
#include "access/xact.h"
#include "catalog/pg_type.h"
}

namespace pgfast::paging {

bool order_has_index(pg::SpiSession& spi, Oid relation, const std::vector<OrderKey>& order) {
  // One row per leading key column of every candidate index; attname is NULL for an expression.
  pg::SpiArgs args;
  args.add(OIDOID, ObjectIdGetDatum(relation));
  args.add(INT4OID, Int32GetDatum(static_cast<int32>(order.size())));
  spi.execute_cached(
      "SELECT i.indexrelid::pg_catalog.text, a.attname::pg_catalog.text, "
      "(i.indoption[k.n - 1] & 1) <> 0, (i.indoption[k.n - 1] & 2) <> 0 "
      "FROM pg_catalog.pg_index i "
      "JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid "
      "JOIN pg_catalog.pg_am am ON am.oid = ic.relam AND am.amname = 'btree' "
      "CROSS JOIN LATERAL pg_catalog.generate_series(1, $2) k(n) "
      "LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid "
      "AND a.attnum = i.indkey[k.n - 1] AND i.indkey[k.n - 1] <> 0 "
      "WHERE i.indrelid = $1 AND i.indisvalid AND i.indpred IS NULL AND i.indnkeyatts >= $2 "
      "ORDER BY i.indexrelid, k.n",
      args, true);
  const size_t n = order.size();
  std::string index;
  size_t k = 0;
  bool forward = true;
  bool backward = true;
  for (uint64_t r = 0; r < spi.rows(); ++r) {
    std::string this_index = spi.text_not_null(r, 0);
    if (this_index != index) {
      index = this_index;
      k = 0;
      forward = backward = true;
    }
    std::optional<std::string> column = spi.text(r, 1);
    bool desc = spi.text_not_null(r, 2) == "t";
    bool nulls_first = spi.text_not_null(r, 3) == "t";
    const OrderKey& key = order[k];
    bool same_column = column && *column == key.column;
    forward = forward && same_column && desc == key.descending && nulls_first == key.nulls_first;
    backward = backward && same_column && desc != key.descending && nulls_first != key.nulls_first;
    if (++k == n && (forward || backward)) return true;
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
