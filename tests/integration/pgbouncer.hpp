// PgBouncer: a throwaway PgBouncer (Debian's pgbouncer) in front of the server under test
// (DATABASE_URL, from scripts/with-services), started by scripts/with-pgbouncer for one test and
// stopped by the destructor.
#pragma once

#include <string>

#include "held_script.hpp"

#ifndef PGFAST_WITH_PGBOUNCER_SCRIPT
#error \
    "tests/CMakeLists.txt defines PGFAST_WITH_PGBOUNCER_SCRIPT (the path of scripts/with-pgbouncer)"
#endif

namespace pgfast_test {

class PgBouncer {
 public:
  // pool_mode: transaction, session or statement; pool_size: server connections it opens at most.
  explicit PgBouncer(const std::string& pool_mode = "transaction", int pool_size = 20)
      : script_(PGFAST_WITH_PGBOUNCER_SCRIPT, "DATABASE_POOLER_URL",
                {"PGFAST_PGBOUNCER_POOL_MODE=" + pool_mode,
                 "PGFAST_PGBOUNCER_POOL_SIZE=" + std::to_string(pool_size)}) {}

  // DATABASE_URL with PgBouncer's port: the same user and database, through the pooler.
  const std::string& url() const { return script_.value(); }

 private:
  HeldScript script_;
};

}  // namespace pgfast_test
