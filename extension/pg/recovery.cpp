#include "pg/recovery.hpp"

#include <string>

#include "core/error.hpp"
#include "pg/postgres.hpp"

extern "C" {
#include "access/xlog.h"
}

namespace pgfast::pg {

void refuse_during_recovery(const char* function) {
  // Reads shared memory only; raises nothing.
  if (!RecoveryInProgress()) return;
  throw Error(sqlstate::kReadOnlySqlTransaction,
              std::string(function) + " cannot run on a hot standby: the server is in recovery",
              "A standby is read-only; " + std::string(function) +
                  " changes tables, indexes or pgfast's catalog.",
              "Run it on the primary.");
}

}  // namespace pgfast::pg
