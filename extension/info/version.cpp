// pgfast.version(): the extension version and build information.
#include "core/build_info.hpp"
#include "pg/datum.hpp"
#include "pg/sql_function.hpp"

namespace pgfast {

PGFAST_FUNCTION(pgfast_version) {
  return pg::text_datum(build_description(PG_VERSION));
}

}  // namespace pgfast
