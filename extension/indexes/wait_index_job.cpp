// pgfast.wait_index_job(job_id, timeout_ms): as a function (SELECT) and as a procedure (CALL),
// two C entry points over one implementation.
//
// CREATE INDEX CONCURRENTLY waits for every transaction holding a snapshot older than its own
// (WaitForOlderSnapshots) and for every holder of a lock on the table that conflicts with SHARE
// (WaitForLockers). A backend waiting for the build while holding either would wait for a build
// that waits for it.
//
// * The procedure (CALL pgfast.wait_index_job(job, timeout_ms, NULL)) is non-atomic: it commits
//   after every poll, so between polls it holds no snapshot and no lock.
// * The function (SELECT pgfast.wait_index_job(job)) runs inside a statement, whose snapshot it
//   cannot drop. It waits only when nothing can read with that snapshot after the wait: outside a
//   transaction block, in a statement that is this call alone (SELECT without FROM, one output
//   column: the transaction ends with it). Then it sets PROC_IN_SAFE_IC, the flag concurrent
//   builds use for the same reason ("my snapshot reads nothing you are indexing"), for the wait
//   only. Any other shape is refused with a hint to use CALL.
//
// The checks and the flag are in pg/concurrent_index_wait.hpp.
#include <string>
#include <vector>

#include "core/error.hpp"
#include "pg/catalog.hpp"
#include "pg/concurrent_index_wait.hpp"
#include "pg/datum.hpp"
#include "pg/guard.hpp"
#include "pg/run_as_owner.hpp"
#include "pg/spi.hpp"
#include "pg/sql_function.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/timestamp.h"
}

namespace pgfast::indexes {

namespace {

struct JobState {
  std::string state;
  Oid relation = InvalidOid;
};

// One look at the job row, as its owner; checks that the caller may see it.
JobState read_job(pg::SpiSession& spi, int64 job, Oid caller) {
  pg::RunAsOwner owner;
  pg::SpiArgs args;
  args.add(INT8OID, Int64GetDatum(job));
  args.add(OIDOID, ObjectIdGetDatum(caller));
  spi.execute(
      "SELECT state, xmin, pg_catalog.pg_has_role($2, requested_by, 'MEMBER'), relation "
      "FROM pgfast.index_job WHERE job_id OPERATOR(pg_catalog.=) $1",
      args, false);
  if (spi.rows() == 0) {
    throw Error(sqlstate::kInvalidParameterValue,
                "index job " + std::to_string(job) + " does not exist");
  }
  if (spi.text_not_null(0, 2) != "t") {
    throw Error(sqlstate::kInsufficientPrivilege,
                "permission denied for index job " + std::to_string(job),
                "Only members of the role that requested it may wait for it.");
  }
  JobState result;
  result.state = spi.text_not_null(0, 0);
  result.relation = static_cast<Oid>(std::stoul(spi.text_not_null(0, 3)));
  bool is_null;
  TransactionId xmin = DatumGetTransactionId(spi.datum(0, 1, &is_null));
  bool ours = pg::is_current_transaction(xmin);
  if (ours && result.state == "queued") {
    throw Error(sqlstate::kObjectNotInPrerequisiteState,
                "index job " + std::to_string(job) + " was queued by this transaction",
                "The build starts when the transaction that queued it commits.",
                "Commit, then wait in a new transaction.");
  }
  return result;
}

bool finished(const std::string& state) {
  return state == "done" || state == "failed";
}

// One call waits at most a day (the build goes on; wait again).
constexpr int kMaxWaitMs = 86400000;

constexpr const char* kUseCall =
    "Call it as a statement of its own outside a transaction block "
    "(SELECT pgfast.wait_index_job(42)), or use the procedure: "
    "CALL pgfast.wait_index_job(42, 600000, NULL).";

std::string wait_index_job_impl(FunctionCallInfo fcinfo, bool procedure) {
  if (PG_ARGISNULL(0)) throw Error(sqlstate::kNullValueNotAllowed, "job_id must not be NULL");
  int64 job = PG_GETARG_INT64(0);
  int timeout_ms = PG_ARGISNULL(1) ? 600000 : PG_GETARG_INT32(1);
  if (timeout_ms < 0 || timeout_ms > kMaxWaitMs) {
    throw Error(sqlstate::kInvalidParameterValue,
                "timeout_ms must be between 0 and " + std::to_string(kMaxWaitMs),
                "got " + std::to_string(timeout_ms) + ".",
                "Wait again after the timeout: the call returns the current state.");
  }
  bool nonatomic = procedure && pg::in_nonatomic_call(fcinfo);
  if (procedure && !nonatomic) {
    throw Error(sqlstate::kActiveSqlTransaction,
                "CALL pgfast.wait_index_job cannot run inside a transaction block",
                "It commits between polls so that it holds no snapshot the build waits for.",
                "Run the CALL on its own, outside BEGIN ... COMMIT and outside functions.");
  }
  if (pg::uses_transaction_snapshot()) {
    throw Error(sqlstate::kFeatureNotSupported, "pgfast.wait_index_job needs READ COMMITTED",
                "Under REPEATABLE READ or SERIALIZABLE the transaction never sees the job finish.");
  }
  Oid caller = pg::current_user();
  TimestampTz deadline = GetCurrentTimestamp() + static_cast<TimestampTz>(timeout_ms) * 1000;
  pg::SpiSession spi(nonatomic);
  JobState first = read_job(spi, job, caller);
  if (finished(first.state) || timeout_ms == 0) return first.state;
  Oid relation = first.relation;
  if (pg::holds_lock_blocking_index_builds(relation)) {
    throw Error(
        sqlstate::kObjectNotInPrerequisiteState,
        "cannot wait for index job " + std::to_string(job) + " while holding a lock on its table",
        "The build waits for every transaction holding ROW EXCLUSIVE or a stronger lock "
        "on the table.",
        "Commit first, then wait.");
  }
  if (procedure) {
    for (;;) {
      // Ends the transaction (and with it every snapshot and lock) before each sleep.
      pg::call([] { SPI_commit(); });
      if (GetCurrentTimestamp() >= deadline) return read_job(spi, job, caller).state;
      pg::sleep_on_latch(50L);
      std::string state = read_job(spi, job, caller).state;
      if (finished(state)) return state;
    }
  }
  if (!pg::called_alone_in_autocommit(fcinfo)) {
    throw Error(sqlstate::kObjectNotInPrerequisiteState,
                "pgfast.wait_index_job would hold a snapshot that index job " +
                    std::to_string(job) + " waits for",
                "Only a statement that is the call alone, outside a transaction block, may wait: "
                "its snapshot reads nothing after the wait.",
                kUseCall);
  }
  pg::SafeForConcurrentBuilds safe;
  for (;;) {
    if (GetCurrentTimestamp() >= deadline) return read_job(spi, job, caller).state;
    pg::sleep_on_latch(50L);
    std::string state = read_job(spi, job, caller).state;
    if (finished(state)) return state;
  }
}

}  // namespace

PGFAST_FUNCTION(pgfast_wait_index_job) {
  return pg::text_datum(wait_index_job_impl(fcinfo, false));
}

// A procedure with an INOUT parameter returns a record (of that one column).
PGFAST_FUNCTION(pgfast_wait_index_job_procedure) {
  return pg::single_inout_result(fcinfo, pg::text_datum(wait_index_job_impl(fcinfo, true)));
}

}  // namespace pgfast::indexes
