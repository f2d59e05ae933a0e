// pgfast.ensure_index(target, columns, options): the SQL entry point; the work is in
// indexes/ensure.cpp.
#include <string>

#include "core/error.hpp"
#include "indexes/ensure.hpp"
#include "pg/datum.hpp"
#include "pg/json_options.hpp"
#include "pg/recovery.hpp"
#include "pg/spi.hpp"
#include "pg/sql_function.hpp"

namespace pgfast::indexes {

namespace {

std::string ensure_index_impl(FunctionCallInfo fcinfo) {
  pg::refuse_during_recovery("ensure_index");
  if (PG_ARGISNULL(0)) throw Error(sqlstate::kNullValueNotAllowed, "target must not be NULL");
  IndexRequest request;
  request.relation = PG_GETARG_OID(0);
  if (PG_ARGISNULL(1)) throw Error(sqlstate::kNullValueNotAllowed, "columns must not be NULL");
  request.elements = *pg::text_array_arg(fcinfo, 1, "columns");
  pg::SpiSession spi;
  std::string name;
  for (const pg::JsonOption& o : pg::read_options(fcinfo, 2)) {
    if (o.key == "method") {
      request.method = pg::option_string(o);
    } else if (o.key == "where") {
      request.where = pg::option_string(o);
    } else if (o.key == "include") {
      request.include = pg::option_strings(o);
    } else if (o.key == "unique") {
      request.unique = pg::option_bool(o);
    } else if (o.key == "name") {
      name = pg::option_string(o);
    } else if (o.key == "concurrently") {
      request.concurrently = pg::option_bool(o);
    } else {
      pg::unknown_option(o, "method, where, include, unique, name and concurrently");
    }
  }
  return ensure_index(spi, request, name);
}

}  // namespace

PGFAST_FUNCTION(pgfast_ensure_index) {
  return pg::text_datum(ensure_index_impl(fcinfo));
}

}  // namespace pgfast::indexes
