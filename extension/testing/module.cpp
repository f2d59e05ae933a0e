// pgfast_testing.so: SQL-callable probes and fault injection for sql/boundary.sql. Built and staged
// only for the tests (`make install-testing`, run by scripts/stage-install); `make install` never
// installs it. It calls pgfast's pg:: functions, so pgfast.so must be loaded first (preloaded:
// PostgreSQL loads libraries RTLD_GLOBAL, and this one's undefined symbols resolve against it).
#include "pg/postgres.hpp"

extern "C" {
PG_MODULE_MAGIC;
}
