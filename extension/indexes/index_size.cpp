// pgfast._index_size(index), a helper of pgfast.index_report: the index's size, like
// pg_relation_size, without waiting for a lock: another session holding a conflicting lock (an
// open DROP INDEX, REINDEX) would otherwise stall every role's index_report; then the size
// recorded in pg_class is shown (pg/index_relation.hpp).
#include <optional>

#include "pg/index_relation.hpp"
#include "pg/sql_function.hpp"

namespace pgfast::indexes {

PGFAST_FUNCTION(pgfast_index_size) {
  Oid index = PG_GETARG_OID(0);
  std::optional<int64> bytes = pg::index_size(index);
  if (!bytes) PG_RETURN_NULL();
  PG_RETURN_INT64(*bytes);
}

}  // namespace pgfast::indexes
