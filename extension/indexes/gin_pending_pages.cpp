// pgfast._gin_pending_pages(index), a helper of pgfast.index_report: the pending-list length from
// a GIN index's metapage; NULL for an index the caller may not look into, and while another
// session holds a conflicting lock (pg/index_relation.hpp).
#include <optional>

#include "pg/index_relation.hpp"
#include "pg/sql_function.hpp"

namespace pgfast::indexes {

PGFAST_FUNCTION(pgfast_gin_pending_pages) {
  Oid index = PG_GETARG_OID(0);
  if (!pg::readable_index(index)) PG_RETURN_NULL();
  std::optional<int64> pages = pg::gin_pending_pages(index);
  if (!pages) PG_RETURN_NULL();
  PG_RETURN_INT64(*pages);
}

}  // namespace pgfast::indexes
