// pgfast._index_duplicate_of(index), a helper of pgfast.index_report: an older index of the same
// table with the same definition, compared as ensure_index compares (pg_index fields and
// expression trees); NULL for an index the caller may not look into. Only 0.1.0's index_report
// calls it (a comparison of every pair of a table's indexes); 0.2.0's sorts on the stored
// definitions instead.
#include <optional>
#include <string>

#include "indexes/definition.hpp"
#include "pg/datum.hpp"
#include "pg/index_relation.hpp"
#include "pg/sql_function.hpp"

namespace pgfast::indexes {

PGFAST_FUNCTION(pgfast_index_duplicate_of) {
  Oid index = PG_GETARG_OID(0);
  if (!pg::readable_index(index)) PG_RETURN_NULL();
  std::optional<std::string> name = duplicate_of(index);
  if (!name) PG_RETURN_NULL();
  return pg::text_datum(*name);
}

}  // namespace pgfast::indexes
