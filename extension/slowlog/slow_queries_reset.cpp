// pgfast.slow_queries_reset(): empties the capture ring and the statistics.
#include "pg/sql_function.hpp"
#include "slowlog/store.hpp"

namespace pgfast::slowlog {

PGFAST_FUNCTION(pgfast_slow_queries_reset) {
  store::reset();
  return static_cast<Datum>(0);
}

}  // namespace pgfast::slowlog
