// pgfast.ensure_index(target, columns, options) and pgfast.wait_index_job(job_id, timeout_ms).
#include <string>
#include <vector>

#include "core/error.hpp"
#include "indexes/ensure.hpp"
#include "pg/json_options.hpp"
#include "pg/datum.hpp"
#include "pg/guard.hpp"
#include "pg/run_as_owner.hpp"
#include "pg/spi.hpp"

extern "C" {
#include "access/transam.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/procarray.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"
}

namespace pgfast::indexes {

namespace {

std::string ensure_index_impl(FunctionCallInfo fcinfo) {
  if (PG_ARGISNULL(0)) throw Error(sqlstate::kNullValueNotAllowed, "target must not be NULL");
  IndexRequest request;
  request.relation = PG_GETARG_OID(0);
  if (PG_ARGISNULL(1)) throw Error(sqlstate::kNullValueNotAllowed, "columns must not be NULL");
  request.elements = *pg::text_array_arg(fcinfo, 1, "columns");
  pg::SpiSession spi;
  std::string name;
  for (const pg::JsonOption& o : pg::read_options(spi, fcinfo, 2)) {
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

// While waiting, this backend's snapshot must not hold up the build it waits for: CREATE INDEX
// CONCURRENTLY waits for every transaction with an older snapshot (WaitForOlderSnapshots), which
// would include this one. PROC_IN_SAFE_IC is the flag such builds set to tell each other "do not
// wait for me"; it is right here because the waiting statement does not read the table being
// indexed, and it is cleared when the wait ends (and at transaction end in any case).
class SafeForConcurrentBuilds {
 public:
  SafeForConcurrentBuilds() { set(true); }
  ~SafeForConcurrentBuilds() { set(false); }
  SafeForConcurrentBuilds(const SafeForConcurrentBuilds&) = delete;
  SafeForConcurrentBuilds& operator=(const SafeForConcurrentBuilds&) = delete;

 private:
  static void set(bool on) {
    LWLockAcquire(ProcArrayLock, LW_EXCLUSIVE);
    if (on) {
      MyProc->statusFlags |= PROC_IN_SAFE_IC;
    } else {
      MyProc->statusFlags &= ~PROC_IN_SAFE_IC;
    }
    ProcGlobal->statusFlags[MyProc->pgxactoff] = MyProc->statusFlags;
    LWLockRelease(ProcArrayLock);
  }
};

std::string wait_index_job_impl(FunctionCallInfo fcinfo) {
  if (PG_ARGISNULL(0)) throw Error(sqlstate::kNullValueNotAllowed, "job_id must not be NULL");
  int64 job = PG_GETARG_INT64(0);
  int timeout_ms = PG_ARGISNULL(1) ? 600000 : PG_GETARG_INT32(1);
  if (timeout_ms < 0)
    throw Error(sqlstate::kInvalidParameterValue, "timeout_ms must not be negative");
  if (pg::call([] { return IsolationUsesXactSnapshot(); })) {
    throw Error(sqlstate::kFeatureNotSupported, "pgfast.wait_index_job needs READ COMMITTED",
                "Under REPEATABLE READ or SERIALIZABLE the transaction never sees the job finish.");
  }
  Oid caller = pg::call([] { return GetUserId(); });
  TimestampTz deadline = GetCurrentTimestamp() + static_cast<TimestampTz>(timeout_ms) * 1000;
  pg::SpiSession spi;
  SafeForConcurrentBuilds safe;
  for (;;) {
    std::string state;
    {
      pg::RunAsOwner owner;
      pg::SpiArgs args;
      args.add(INT8OID, Int64GetDatum(job));
      args.add(OIDOID, ObjectIdGetDatum(caller));
      spi.execute(
          "SELECT state, xmin, pg_catalog.pg_has_role($2, requested_by, 'MEMBER') "
          "FROM pgfast.index_job WHERE job_id OPERATOR(pg_catalog.=) $1",
          args, false);
      if (spi.rows() == 0) {
        throw Error(sqlstate::kInvalidParameterValue,
                    "index job " + std::to_string(job) + " does not exist");
      }
      if (spi.text_not_null(0, 2) != "t") {
        throw Error("42501", "permission denied for index job " + std::to_string(job),
                    "Only members of the role that requested it may wait for it.");
      }
      state = spi.text_not_null(0, 0);
      bool is_null;
      TransactionId xmin = DatumGetTransactionId(spi.datum(0, 1, &is_null));
      bool ours = pg::call([xmin] { return TransactionIdIsCurrentTransactionId(xmin); });
      if (ours && state == "queued") {
        throw Error(sqlstate::kObjectNotInPrerequisiteState,
                    "index job " + std::to_string(job) + " was queued by this transaction",
                    "The build starts when the transaction that queued it commits.",
                    "Commit, then wait in a new transaction.");
      }
    }
    if (state == "done" || state == "failed") return state;
    if (GetCurrentTimestamp() >= deadline) return state;
    pg::call([] {
      (void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 50L,
                      PG_WAIT_EXTENSION);
      ResetLatch(MyLatch);
      CHECK_FOR_INTERRUPTS();
    });
  }
}

}  // namespace

}  // namespace pgfast::indexes

extern "C" {
PG_FUNCTION_INFO_V1(pgfast_ensure_index);
Datum pgfast_ensure_index(PG_FUNCTION_ARGS) {
  return pgfast::pg::sql_entry(
      [&] { return pgfast::pg::text_datum(pgfast::indexes::ensure_index_impl(fcinfo)); });
}

PG_FUNCTION_INFO_V1(pgfast_wait_index_job);
Datum pgfast_wait_index_job(PG_FUNCTION_ARGS) {
  return pgfast::pg::sql_entry(
      [&] { return pgfast::pg::text_datum(pgfast::indexes::wait_index_job_impl(fcinfo)); });
}
}
