// The hooks run for every statement of every backend, so their fast path is plain C-style code:
// no C++ object, no allocation beyond the executor's own Instrumentation. Only a statement that
// crossed the threshold enters C++ (capture.cpp), inside the SQL entry guard.
//
// Capture never fails the user's statement (DESIGN 3 rule 6): it runs guarded before the
// previous/standard end-of-statement work, which then runs regardless. A failed capture is
// dropped, counted (the store's `dropped`) and reported as a WARNING once per backend; only a query
// cancel that arrived during capture is raised again, unchanged, after that work.
//
// Nesting: ExecutorRun, ExecutorFinish and tracked utility statements raise the nesting level
// around the call into PostgreSQL and restore it in PG_FINALLY, so an error mid-statement leaves it
// right. Sampling is decided once per top-level statement. Parallel workers record nothing; their
// counters reach the leader's Instrumentation.
#include "slowlog/hooks.hpp"

#include <cstring>

#include "pg/fault_points.hpp"
#include "pg/guard.hpp"
#include "slowlog/capture.hpp"
#include "slowlog/settings.hpp"
#include "slowlog/store.hpp"

extern "C" {
#include "access/parallel.h"
#include "common/pg_prng.h"
#include "executor/executor.h"
#include "executor/instrument.h"
#include "port/atomics.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "tcop/utility.h"
#include "utils/queryjumble.h"
}

namespace pgfast::slowlog {

namespace {

shmem_request_hook_type previous_shmem_request = nullptr;
shmem_startup_hook_type previous_shmem_startup = nullptr;
ExecutorStart_hook_type previous_executor_start = nullptr;
ExecutorRun_hook_type previous_executor_run = nullptr;
ExecutorFinish_hook_type previous_executor_finish = nullptr;
ExecutorEnd_hook_type previous_executor_end = nullptr;
ProcessUtility_hook_type previous_process_utility = nullptr;

int nesting_level = 0;
bool statement_sampled = true;

// Captures this backend dropped because capturing failed (the server-wide count is the store's
// `dropped`, shown by pgfast.slow_queries_info()).
uint64 backend_capture_failures = 0;
bool capture_failure_warned = false;

// What a guarded capture left behind; trivially destructible, so an ereport from the
// end-of-statement work that follows it skips nothing.
struct CaptureOutcome {
  bool failed = false;
  pg::PendingError error;
};

template <typename Body>
void capture_guarded(Body&& body, CaptureOutcome& outcome) noexcept {
  auto with_fault_point = [&body] {
    // The hook is null unless the test module is loaded: skip the call on the hot path.
    if (pgfast_fault_hook != nullptr) pg::fault_point("slowlog_capture");
    body();
  };
  outcome.failed = !pg::run_guarded(with_fault_point, outcome.error);
}

void warn_capture_failed(const pg::PendingError& error) noexcept {
  try {
    pg::call([&error] {
      ereport(WARNING,
              (errmsg("pgfast: slow-query capture failed; the statement was not recorded"),
               errdetail("%s (SQLSTATE %s)", error.message, error.sqlstate),
               errhint("Further capture failures in this session are counted, not reported.")));
    });
  } catch (...) {
    // Out of memory even for the warning: the failure is still counted.
  }
}

// Called after the previous/standard end-of-statement work ran.
void finish_capture(const CaptureOutcome& outcome) {
  if (!outcome.failed) return;
  // No LWLock is held between statements: one a failed capture left behind (an error between
  // acquire and release in the store) would block every backend, so release it as an abort would.
  LWLockReleaseAll();
  // A cancel or timeout that arrived during capture (class 57, operator intervention) still
  // cancels the statement, with its own SQLSTATE and message.
  if (outcome.error.sqlstate[0] == '5' && outcome.error.sqlstate[1] == '7')
    pg::raise_pending(outcome.error);
  ++backend_capture_failures;
  store::count_failed_capture();
  if (capture_failure_warned) return;
  capture_failure_warned = true;
  warn_capture_failed(outcome.error);
}

void decide_sampling() {
  double rate = settings.sample_rate;
  statement_sampled = rate >= 1.0 || (rate > 0.0 && pg_prng_double(&pg_global_prng_state) < rate);
}

bool considered_at(int level) {
  return settings.threshold_ms >= 0 && statement_sampled &&
         (level == 0 || settings.track == static_cast<int>(Track::kAll)) && store::available() &&
         !IsParallelWorker();
}

// Read after the statement ran: a statement that disabled capture (SET pgfast.slow_query_ms = -1)
// is not captured.
bool crossed_threshold(double duration_ms) {
  return settings.threshold_ms >= 0 && duration_ms >= settings.threshold_ms;
}

void on_executor_start(QueryDesc* query_desc, int eflags);
void on_executor_run(QueryDesc* query_desc, ScanDirection direction, uint64 count,
                     bool execute_once);
void on_executor_finish(QueryDesc* query_desc);
void on_executor_end(QueryDesc* query_desc);

// No other extension hooks the executor (before or after pgfast): nobody else reads the
// statement's Instrumentation, so pgfast allocates it with the timer only and adds up itself, in
// its ExecutorRun/ExecutorFinish hooks, the four counters it keeps (buffer hits and reads, temp
// blocks written, WAL bytes), instead of the whole BufferUsage/WalUsage diff Instrumentation makes.
// Same scope as Instrumentation's (the time inside ExecutorRun and ExecutorFinish), fewer
// instructions. With pg_stat_statements or auto_explain loaded, the Instrumentation is shared and
// allocated with INSTRUMENT_ALL, as they expect.
// (Those that read the Instrumentation hook ExecutorStart and ExecutorEnd; a library loaded later,
// with LOAD, wraps pgfast's hooks, which shows in the hook variables.)
bool first_in_executor_chain = false;  // set by install_hooks

bool executor_hooks_alone() {
  return first_in_executor_chain && ExecutorStart_hook == on_executor_start &&
         ExecutorEnd_hook == on_executor_end;
}

struct Counters {
  int64 shared_blks_hit;
  int64 shared_blks_read;
  int64 temp_blks_written;
  uint64 wal_bytes;
};

// The statement's timer-only Instrumentation (its buffer and WAL fields are left to pgfast), or
// null when the statement has none or a full one.
Instrumentation* timer_only(QueryDesc* query_desc) {
  Instrumentation* totals = query_desc->totaltime;
  return totals != nullptr && !totals->need_bufusage && !totals->need_walusage ? totals : nullptr;
}

Counters counters_now() {
  return {pgBufferUsage.shared_blks_hit, pgBufferUsage.shared_blks_read,
          pgBufferUsage.temp_blks_written, pgWalUsage.wal_bytes};
}

void add_counters_since(Instrumentation* totals, const Counters& before) {
  totals->bufusage.shared_blks_hit += pgBufferUsage.shared_blks_hit - before.shared_blks_hit;
  totals->bufusage.shared_blks_read += pgBufferUsage.shared_blks_read - before.shared_blks_read;
  totals->bufusage.temp_blks_written += pgBufferUsage.temp_blks_written - before.temp_blks_written;
  totals->walusage.wal_bytes += pgWalUsage.wal_bytes - before.wal_bytes;
}

void on_shmem_request() {
  if (previous_shmem_request) previous_shmem_request();
  store::request_shared_memory();
}

void on_shmem_startup() {
  if (previous_shmem_startup) previous_shmem_startup();
  store::attach_shared_memory();
}

void on_executor_start(QueryDesc* query_desc, int eflags) {
  if (nesting_level == 0) decide_sampling();
  if (previous_executor_start)
    previous_executor_start(query_desc, eflags);
  else
    standard_ExecutorStart(query_desc, eflags);
  if (considered_at(nesting_level) && query_desc->totaltime == nullptr) {
    // Total time, buffers and WAL of the whole statement (what auto_explain measures too).
    // What InstrAlloc(1, ...) makes, zeroed by InstrInit's memset instead of palloc0's word loop.
    auto* totals = static_cast<Instrumentation*>(
        MemoryContextAlloc(query_desc->estate->es_query_cxt, sizeof(Instrumentation)));
    InstrInit(totals, executor_hooks_alone() ? INSTRUMENT_TIMER : INSTRUMENT_ALL);
    query_desc->totaltime = totals;
  }
}

// The previous/standard ExecutorRun one nesting level down. Not inlined: the callers' locals must
// not live across its sigsetjmp.
pg_noinline void run_nested(QueryDesc* query_desc, ScanDirection direction, uint64 count,
                            bool execute_once) {
  ++nesting_level;
  PG_TRY();
  {
    if (previous_executor_run)
      previous_executor_run(query_desc, direction, count, execute_once);
    else
      standard_ExecutorRun(query_desc, direction, count, execute_once);
  }
  PG_FINALLY();
  { --nesting_level; }
  PG_END_TRY();
}

void on_executor_run(QueryDesc* query_desc, ScanDirection direction, uint64 count,
                     bool execute_once) {
  Instrumentation* totals = timer_only(query_desc);
  if (totals == nullptr) return run_nested(query_desc, direction, count, execute_once);
  Counters before = counters_now();
  run_nested(query_desc, direction, count, execute_once);
  add_counters_since(totals, before);
}

// The previous/standard ExecutorFinish one nesting level down (not inlined, as run_nested).
pg_noinline void finish_nested(QueryDesc* query_desc) {
  ++nesting_level;
  PG_TRY();
  {
    if (previous_executor_finish)
      previous_executor_finish(query_desc);
    else
      standard_ExecutorFinish(query_desc);
  }
  PG_FINALLY();
  { --nesting_level; }
  PG_END_TRY();
}

void on_executor_finish(QueryDesc* query_desc) {
  Instrumentation* totals = timer_only(query_desc);
  if (totals == nullptr) return finish_nested(query_desc);
  Counters before = counters_now();
  finish_nested(query_desc);
  add_counters_since(totals, before);
}

void on_executor_end(QueryDesc* query_desc) {
  CaptureOutcome outcome;
  if (query_desc->totaltime != nullptr && considered_at(nesting_level)) {
    // What InstrEndLoop would add up (total of finished loops plus the current one), read without
    // changing the Instrumentation: whoever else shares it ends its loop as before.
    const Instrumentation* totals = query_desc->totaltime;
    double duration_ms = (totals->total + INSTR_TIME_GET_DOUBLE(totals->counter)) * 1000.0;
    if (crossed_threshold(duration_ms)) {
      int level = nesting_level;
      capture_guarded([&] { capture_executor(query_desc, duration_ms, level); }, outcome);
    }
  }
  if (previous_executor_end)
    previous_executor_end(query_desc);
  else
    standard_ExecutorEnd(query_desc);
  if (outcome.failed) finish_capture(outcome);
}

// EXECUTE runs a prepared statement whose executor run is captured by itself; PREPARE and
// DEALLOCATE are bookkeeping. Capturing those as utilities would count statements twice.
bool utility_considered(Node* parse_tree, int level) {
  return settings.utility && considered_at(level) && !IsA(parse_tree, ExecuteStmt) &&
         !IsA(parse_tree, PrepareStmt) && !IsA(parse_tree, DeallocateStmt);
}

void run_utility(PlannedStmt* pstmt, const char* query_string, bool read_only_tree,
                 ProcessUtilityContext context, ParamListInfo params, QueryEnvironment* query_env,
                 DestReceiver* dest, QueryCompletion* qc) {
  if (previous_process_utility)
    previous_process_utility(pstmt, query_string, read_only_tree, context, params, query_env, dest,
                             qc);
  else
    standard_ProcessUtility(pstmt, query_string, read_only_tree, context, params, query_env, dest,
                            qc);
}

void on_process_utility(PlannedStmt* pstmt, const char* query_string, bool read_only_tree,
                        ProcessUtilityContext context, ParamListInfo params,
                        QueryEnvironment* query_env, DestReceiver* dest, QueryCompletion* qc) {
  if (nesting_level == 0) decide_sampling();
  if (!utility_considered(pstmt->utilityStmt, nesting_level)) {
    run_utility(pstmt, query_string, read_only_tree, context, params, query_env, dest, qc);
    return;
  }
  instr_time start;
  INSTR_TIME_SET_CURRENT(start);
  BufferUsage buffers_before = pgBufferUsage;
  WalUsage wal_before = pgWalUsage;
  ++nesting_level;
  PG_TRY();
  { run_utility(pstmt, query_string, read_only_tree, context, params, query_env, dest, qc); }
  PG_FINALLY();
  { --nesting_level; }
  PG_END_TRY();
  instr_time duration;
  INSTR_TIME_SET_CURRENT(duration);
  INSTR_TIME_SUBTRACT(duration, start);
  double duration_ms = INSTR_TIME_GET_MILLISEC(duration);
  if (!crossed_threshold(duration_ms)) return;

  BufferUsage buffers;
  std::memset(&buffers, 0, sizeof buffers);
  BufferUsageAccumDiff(&buffers, &pgBufferUsage, &buffers_before);
  WalUsage wal;
  std::memset(&wal, 0, sizeof wal);
  WalUsageAccumDiff(&wal, &pgWalUsage, &wal_before);
  uint64 rows = 0;
  if (qc != nullptr &&
      (qc->commandTag == CMDTAG_COPY || qc->commandTag == CMDTAG_FETCH ||
       qc->commandTag == CMDTAG_SELECT || qc->commandTag == CMDTAG_REFRESH_MATERIALIZED_VIEW))
    rows = qc->nprocessed;
  int level = nesting_level;
  CaptureOutcome outcome;
  capture_guarded(
      [&] { capture_utility(pstmt, query_string, duration_ms, rows, &buffers, &wal, level); },
      outcome);
  finish_capture(outcome);
}

}  // namespace

uint64_t backend_capture_failures_count() noexcept {
  return backend_capture_failures;
}

void install_hooks() {
  EnableQueryId();
  previous_shmem_request = shmem_request_hook;
  shmem_request_hook = on_shmem_request;
  previous_shmem_startup = shmem_startup_hook;
  shmem_startup_hook = on_shmem_startup;
  previous_executor_start = ExecutorStart_hook;
  ExecutorStart_hook = on_executor_start;
  previous_executor_run = ExecutorRun_hook;
  ExecutorRun_hook = on_executor_run;
  previous_executor_finish = ExecutorFinish_hook;
  ExecutorFinish_hook = on_executor_finish;
  previous_executor_end = ExecutorEnd_hook;
  ExecutorEnd_hook = on_executor_end;
  previous_process_utility = ProcessUtility_hook;
  ProcessUtility_hook = on_process_utility;
  first_in_executor_chain = previous_executor_start == nullptr &&
                            previous_executor_run == nullptr &&
                            previous_executor_finish == nullptr && previous_executor_end == nullptr;
}

}  // namespace pgfast::slowlog
