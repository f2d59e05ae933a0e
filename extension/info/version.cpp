// pgfast.version(): the extension version and build information.
#include "core/version.hpp"
#include "pg/datum.hpp"
#include "pg/guard.hpp"

extern "C" {
PG_FUNCTION_INFO_V1(pgfast_version);
Datum pgfast_version(PG_FUNCTION_ARGS) {
  (void)fcinfo;
  return pgfast::pg::sql_entry(
      [] { return pgfast::pg::text_datum(pgfast::build_description(PG_VERSION)); });
}
}
