#include "indexes/worker.hpp"

#include <cstring>
#include <vector>

#include "core/error.hpp"
#include "core/sql_text.hpp"
#include "pg/guard.hpp"
#include "pg/run_as_owner.hpp"
#include "pg/spi.hpp"

extern "C" {
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_database.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "parser/analyze.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "tcop/pquery.h"
#include "tcop/tcopprot.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/portal.h"
#include "utils/snapmgr.h"

PGDLLEXPORT void pgfast_index_launcher_main(Datum arg);
PGDLLEXPORT void pgfast_index_database_main(Datum arg);
PGDLLEXPORT void pgfast_index_build_main(Datum arg);
}

namespace pgfast::indexes {

namespace {

constexpr int kSlots = 8;  // database workers (each runs one build at a time)
constexpr int kMaxWanted = 64;

enum SlotState : int { kSlotPending = 0, kSlotDone = 1, kSlotFailed = 2 };

// One build handed from a database worker to its build worker.
struct BuildSlot {
  bool in_use;
  Oid database;
  Oid role;
  int state;
  char definition[kMaxJobDefinition];
  char schema[NAMEDATALEN];
  char index_name[NAMEDATALEN];
  char error[2048];
};

struct Shared {
  slock_t mutex;
  Latch* launcher_latch;
  bool check_all;
  int wanted_count;
  Oid wanted[kMaxWanted];
  BuildSlot slots[kSlots];
};

Shared* shared = nullptr;
bool paused = false;
Oid wake_database = InvalidOid;
bool xact_callback_registered = false;
shmem_request_hook_type previous_shmem_request = nullptr;
shmem_startup_hook_type previous_shmem_startup = nullptr;

void on_shmem_request() {
  if (previous_shmem_request) previous_shmem_request();
  RequestAddinShmemSpace(MAXALIGN(sizeof(Shared)));
}

void on_shmem_startup() {
  if (previous_shmem_startup) previous_shmem_startup();
  LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
  bool found;
  shared = static_cast<Shared*>(ShmemInitStruct("pgfast index builds", sizeof(Shared), &found));
  if (!found) {
    memset(shared, 0, sizeof(Shared));
    SpinLockInit(&shared->mutex);
    shared->check_all = true;
  }
  LWLockRelease(AddinShmemInitLock);
}

void add_wanted(Oid database) {
  for (int i = 0; i < shared->wanted_count; ++i) {
    if (shared->wanted[i] == database) return;
  }
  if (shared->wanted_count < kMaxWanted) {
    shared->wanted[shared->wanted_count++] = database;
  } else {
    shared->check_all = true;
  }
}

// Plain C: runs inside CommitTransaction.
void on_xact_event(XactEvent event, void*) {
  if (event == XACT_EVENT_COMMIT && OidIsValid(wake_database) && shared != nullptr) {
    SpinLockAcquire(&shared->mutex);
    add_wanted(wake_database);
    Latch* latch = shared->launcher_latch;
    SpinLockRelease(&shared->mutex);
    if (latch != nullptr) SetLatch(latch);
  }
  if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT) wake_database = InvalidOid;
}

void fill_worker(BackgroundWorker& worker, const char* function, const char* name, Datum arg) {
  memset(&worker, 0, sizeof(worker));
  worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
  worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
  worker.bgw_restart_time = BGW_NEVER_RESTART;
  snprintf(worker.bgw_library_name, BGW_MAXLEN, "pgfast");
  snprintf(worker.bgw_function_name, BGW_MAXLEN, "%s", function);
  snprintf(worker.bgw_name, BGW_MAXLEN, "%s", name);
  snprintf(worker.bgw_type, BGW_MAXLEN, "%s", name);
  worker.bgw_main_arg = arg;
}

// ---- running a statement as a client would (top level, its own transactions) -----------------

// Plain PostgreSQL calls: run inside pg::call. The parse/plan memory outlives the transactions
// the statement may commit internally (CREATE INDEX CONCURRENTLY commits three times).
void execute_top_level(const char* sql) {
  SetCurrentStatementStartTimestamp();
  debug_query_string = sql;
  pgstat_report_activity(STATE_RUNNING, sql);
  StartTransactionCommand();
  MemoryContext parse_context =
      AllocSetContextCreate(TopMemoryContext, "pgfast index build", ALLOCSET_DEFAULT_SIZES);
  MemoryContext old = MemoryContextSwitchTo(parse_context);
  List* raw = pg_parse_query(sql);
  if (list_length(raw) != 1) elog(ERROR, "pgfast: one statement expected");
  RawStmt* parsed = linitial_node(RawStmt, raw);
  CommandTag tag = CreateCommandTag(parsed->stmt);
  bool snapshot = analyze_requires_snapshot(parsed);
  if (snapshot) PushActiveSnapshot(GetTransactionSnapshot());
  List* queries = pg_analyze_and_rewrite_fixedparams(parsed, sql, nullptr, 0, nullptr);
  List* plans = pg_plan_queries(queries, sql, 0, nullptr);
  if (snapshot) PopActiveSnapshot();
  Portal portal = CreatePortal("", true, true);
  portal->visible = false;
  PortalDefineQuery(portal, nullptr, sql, tag, plans, nullptr);
  PortalStart(portal, nullptr, 0, InvalidSnapshot);
  DestReceiver* receiver = CreateDestReceiver(DestNone);
  MemoryContextSwitchTo(old);
  QueryCompletion qc;
  (void)PortalRun(portal, FETCH_ALL, true /* isTopLevel */, true, receiver, receiver, &qc);
  receiver->rDestroy(receiver);
  PortalDrop(portal, false);
  CommitTransactionCommand();
  MemoryContextDelete(parse_context);
  pgstat_report_activity(STATE_IDLE, nullptr);
  debug_query_string = nullptr;
}

// After a PostgreSQL error caught by pg::call: end the failed transaction, as a backend's main
// loop would.
void abort_transaction() {
  pg::call([] {
    HOLD_INTERRUPTS();
    QueryCancelPending = false;
    AbortCurrentTransaction();
    RESUME_INTERRUPTS();
    debug_query_string = nullptr;
    pgstat_report_activity(STATE_IDLE, nullptr);
  });
}

std::string error_text(const Error& e) {
  std::string text = e.what();
  if (!e.detail().empty()) text += " (" + e.detail() + ")";
  return text;
}

// One short transaction with an SPI session and a snapshot, for the job table.
template <typename Body>
void in_transaction(Body&& body) {
  pg::call([] {
    SetCurrentStatementStartTimestamp();
    StartTransactionCommand();
    PushActiveSnapshot(GetTransactionSnapshot());
  });
  {
    pg::SpiSession spi;
    body(spi);
  }
  pg::call([] {
    PopActiveSnapshot();
    CommitTransactionCommand();
  });
}

// Drops `schema.name` if it is an INVALID index (what a failed concurrent build leaves).
// Returns an error text when that fails, else empty.
std::string drop_invalid_index(const std::string& schema, const std::string& name) {
  bool invalid = false;
  in_transaction([&](pg::SpiSession& spi) {
    pg::SpiArgs args;
    args.add_text(schema);
    args.add_text(name);
    spi.execute(
        "SELECT 1 FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c "
        "ON c.oid OPERATOR(pg_catalog.=) i.indexrelid JOIN pg_catalog.pg_namespace n "
        "ON n.oid OPERATOR(pg_catalog.=) c.relnamespace "
        "WHERE n.nspname OPERATOR(pg_catalog.=) $1::pg_catalog.name "
        "AND c.relname OPERATOR(pg_catalog.=) $2::pg_catalog.name AND NOT i.indisvalid",
        args, true);
    invalid = spi.rows() > 0;
  });
  if (!invalid) return {};
  std::string sql = "DROP INDEX CONCURRENTLY IF EXISTS " + quote_qualified(schema, name);
  const char* text = sql.c_str();
  try {
    pg::call([text] { execute_top_level(text); });
  } catch (const Error& e) {
    abort_transaction();
    return "; dropping the invalid index failed: " + error_text(e);
  }
  return {};
}

// ---- build worker ------------------------------------------------------------------------------

void run_build(BuildSlot* slot) {
  std::string definition(slot->definition);
  std::string schema(slot->schema);
  std::string name(slot->index_name);
  pg::call([] { pgstat_report_appname("pgfast index build"); });
  const char* sql = definition.c_str();
  std::string error;
  try {
    pg::call([sql] { execute_top_level(sql); });
  } catch (const Error& e) {
    error = error_text(e);
    abort_transaction();
    error += drop_invalid_index(schema, name);
  }
  SpinLockAcquire(&shared->mutex);
  snprintf(slot->error, sizeof(slot->error), "%s", error.c_str());
  slot->state = error.empty() ? kSlotDone : kSlotFailed;
  SpinLockRelease(&shared->mutex);
}

// ---- database worker ---------------------------------------------------------------------------

struct Job {
  int64_t id = 0;
  Oid role = InvalidOid;
  std::string definition;
  std::string schema;
  std::string index_name;
};

bool has_job_table() {
  return pg::call([] {
    StartTransactionCommand();
    Oid schema = get_namespace_oid("pgfast", true);
    bool found = OidIsValid(schema) && OidIsValid(get_relname_relid("index_job", schema));
    CommitTransactionCommand();
    return found;
  });
}

void finish_job(int64_t id, bool done, const std::string& error) {
  in_transaction([&](pg::SpiSession& spi) {
    pg::SpiArgs args;
    args.add(INT8OID, Int64GetDatum(id));
    args.add_text(done ? "done" : "failed");
    args.add_text(error);
    spi.execute(
        "UPDATE pgfast.index_job SET state = $2, error = CASE WHEN $3 OPERATOR(pg_catalog.=) "
        "''::pg_catalog.text THEN NULL ELSE $3 END, finished_at = pg_catalog.clock_timestamp() "
        "WHERE job_id OPERATOR(pg_catalog.=) $1",
        args, false);
  });
}

// Jobs a previous server run left `running`: their worker is gone.
void fail_interrupted_jobs() {
  std::vector<Job> jobs;
  in_transaction([&](pg::SpiSession& spi) {
    spi.execute(
        "SELECT j.job_id, n.nspname, j.index_name FROM pgfast.index_job j "
        "LEFT JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) j.relation "
        "LEFT JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace "
        "WHERE j.state OPERATOR(pg_catalog.=) 'running'::pg_catalog.text",
        false);
    for (uint64_t r = 0; r < spi.rows(); ++r) {
      Job job;
      job.id = std::stoll(spi.text_not_null(r, 0));
      job.schema = spi.text(r, 1).value_or("");
      job.index_name = spi.text_not_null(r, 2);
      jobs.push_back(job);
    }
  });
  for (const Job& job : jobs) {
    std::string error = "the build was interrupted (server restart or worker exit)";
    if (!job.schema.empty()) error += drop_invalid_index(job.schema, job.index_name);
    finish_job(job.id, false, error);
  }
}

bool claim_next_job(Job& job) {
  bool found = false;
  in_transaction([&](pg::SpiSession& spi) {
    spi.execute(
        "UPDATE pgfast.index_job j SET state = 'running', started_at = "
        "pg_catalog.clock_timestamp() "
        "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
        "ON n.oid OPERATOR(pg_catalog.=) c.relnamespace "
        "WHERE c.oid OPERATOR(pg_catalog.=) j.relation AND j.job_id OPERATOR(pg_catalog.=) "
        "(SELECT job_id FROM pgfast.index_job WHERE state OPERATOR(pg_catalog.=) "
        "'queued'::pg_catalog.text ORDER BY job_id LIMIT 1 FOR UPDATE SKIP LOCKED) "
        "RETURNING j.job_id, j.requested_by, j.definition, n.nspname, j.index_name",
        false);
    if (spi.rows() == 0) return;
    found = true;
    job.id = std::stoll(spi.text_not_null(0, 0));
    job.role = static_cast<Oid>(std::stoul(spi.text_not_null(0, 1)));
    job.definition = spi.text_not_null(0, 2);
    job.schema = spi.text_not_null(0, 3);
    job.index_name = spi.text_not_null(0, 4);
  });
  if (!found) {
    // A queued job whose table was dropped: nothing to build.
    in_transaction([&](pg::SpiSession& spi) {
      spi.execute(
          "UPDATE pgfast.index_job j SET state = 'failed', error = 'the table no longer exists', "
          "finished_at = pg_catalog.clock_timestamp() WHERE state OPERATOR(pg_catalog.=) "
          "'queued'::pg_catalog.text AND NOT EXISTS "
          "(SELECT 1 FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) j.relation)",
          false);
    });
  }
  return found;
}

int claim_slot(const Job& job) {
  int chosen = -1;
  SpinLockAcquire(&shared->mutex);
  for (int i = 0; i < kSlots && chosen < 0; ++i) {
    if (!shared->slots[i].in_use) {
      chosen = i;
      BuildSlot* s = &shared->slots[i];
      s->in_use = true;
      s->database = MyDatabaseId;
      s->role = job.role;
      s->state = kSlotPending;
      snprintf(s->definition, sizeof(s->definition), "%s", job.definition.c_str());
      snprintf(s->schema, sizeof(s->schema), "%s", job.schema.c_str());
      snprintf(s->index_name, sizeof(s->index_name), "%s", job.index_name.c_str());
      s->error[0] = '\0';
    }
  }
  SpinLockRelease(&shared->mutex);
  return chosen;
}

// Runs the job in a build worker and returns its error (empty: done).
std::string run_job(const Job& job) {
  if (job.definition.size() >= kMaxJobDefinition) return "the index definition is too long";
  int slot = claim_slot(job);
  if (slot < 0) return "no free build slot";
  BackgroundWorker worker;
  fill_worker(worker, "pgfast_index_build_main", "pgfast index build", Int32GetDatum(slot));
  worker.bgw_notify_pid = MyProcPid;
  BackgroundWorkerHandle* handle = nullptr;
  bool started = pg::call([&worker, &handle] {
    if (!RegisterDynamicBackgroundWorker(&worker, &handle)) return false;
    pid_t pid;
    return WaitForBackgroundWorkerStartup(handle, &pid) == BGWH_STARTED;
  });
  if (started) pg::call([handle] { (void)WaitForBackgroundWorkerShutdown(handle); });
  SpinLockAcquire(&shared->mutex);
  BuildSlot* s = &shared->slots[slot];
  int state = s->state;
  std::string error = s->error;
  s->in_use = false;
  SpinLockRelease(&shared->mutex);
  if (state == kSlotDone) return {};
  if (state == kSlotFailed) return error.empty() ? "failed" : error;
  // The build worker never ran the job (could not start, or could not connect as the role).
  std::string message =
      started ? "the build worker exited before finishing (could the role connect? see the server "
                "log)"
              : "could not start a build worker (max_worker_processes?)";
  return message + drop_invalid_index(job.schema, job.index_name);
}

// One database worker per database, even when a restarted launcher has lost track of one still
// running: a session-level advisory lock, held until this worker exits.
bool sole_database_worker() {
  bool locked = false;
  in_transaction([&](pg::SpiSession& spi) {
    spi.execute("SELECT pg_catalog.pg_try_advisory_lock(pg_catalog.hashtext('pgfast index jobs'))",
                false);
    locked = spi.text_not_null(0, 0) == "t";
  });
  return locked;
}

void database_loop() {
  // This worker is the bootstrap superuser: no name in its SQL may resolve through a search_path
  // someone else chose (ALTER DATABASE/ROLE ... SET search_path), which would run their operator
  // `=` as superuser. PGC_S_OVERRIDE wins over every per-database and per-role setting.
  pg::call([] { SetConfigOption("search_path", pg::kSafeSearchPath, PGC_SUSET, PGC_S_OVERRIDE); });
  if (!has_job_table()) return;
  if (!sole_database_worker()) return;
  pg::call([] { pgstat_report_appname("pgfast index jobs"); });
  fail_interrupted_jobs();
  for (;;) {
    pg::check_for_interrupts();
    if (ConfigReloadPending) {
      ConfigReloadPending = false;
      pg::call([] { ProcessConfigFile(PGC_SIGHUP); });
    }
    if (paused) return;
    Job job;
    if (!claim_next_job(job)) return;
    std::string error = run_job(job);
    finish_job(job.id, error.empty(), error);
  }
}

// ---- launcher ----------------------------------------------------------------------------------

struct Running {
  Oid database;
  BackgroundWorkerHandle* handle;
};

Running running[kSlots];
int running_count = 0;
Oid pending[kMaxWanted];
int pending_count = 0;
bool pending_all = false;

void add_pending(Oid database) {
  for (int i = 0; i < pending_count; ++i) {
    if (pending[i] == database) return;
  }
  if (pending_count < kMaxWanted) {
    pending[pending_count++] = database;
  } else {
    pending_all = true;
  }
}

// Plain PostgreSQL calls (pg::call): every database one can connect to.
void add_all_databases() {
  StartTransactionCommand();
  Relation rel = table_open(DatabaseRelationId, AccessShareLock);
  TableScanDesc scan = table_beginscan_catalog(rel, 0, nullptr);
  HeapTuple tuple;
  while ((tuple = heap_getnext(scan, ForwardScanDirection)) != nullptr) {
    auto* db = reinterpret_cast<Form_pg_database>(GETSTRUCT(tuple));
    if (db->datallowconn && !db->datistemplate) add_pending(db->oid);
  }
  table_endscan(scan);
  table_close(rel, AccessShareLock);
  CommitTransactionCommand();
}

bool is_running(Oid database) {
  for (int i = 0; i < running_count; ++i) {
    if (running[i].database == database) return true;
  }
  return false;
}

void launcher_iteration() {
  SpinLockAcquire(&shared->mutex);
  bool all = shared->check_all;
  shared->check_all = false;
  for (int i = 0; i < shared->wanted_count; ++i) add_pending(shared->wanted[i]);
  shared->wanted_count = 0;
  SpinLockRelease(&shared->mutex);
  if (all || pending_all) {
    pending_all = false;
    add_all_databases();
  }
  // Reap database workers that finished.
  for (int i = 0; i < running_count;) {
    pid_t pid;
    if (GetBackgroundWorkerPid(running[i].handle, &pid) == BGWH_STOPPED) {
      pfree(running[i].handle);
      running[i] = running[--running_count];
    } else {
      ++i;
    }
  }
  if (paused) return;
  for (int i = 0; i < pending_count;) {
    Oid database = pending[i];
    if (is_running(database)) {
      ++i;  // started again once the current one exits
      continue;
    }
    if (running_count >= kSlots) break;
    BackgroundWorker worker;
    fill_worker(worker, "pgfast_index_database_main", "pgfast index jobs",
                ObjectIdGetDatum(database));
    worker.bgw_notify_pid = MyProcPid;
    BackgroundWorkerHandle* handle = nullptr;
    if (!RegisterDynamicBackgroundWorker(&worker, &handle)) break;  // retried on the next wake
    running[running_count].database = database;
    running[running_count].handle = handle;
    ++running_count;
    pending[i] = pending[--pending_count];
  }
}

void launcher_loop() {
  pg::call([] {
    BackgroundWorkerInitializeConnection(nullptr, nullptr, 0);
    pgstat_report_appname("pgfast index launcher");
  });
  SpinLockAcquire(&shared->mutex);
  shared->launcher_latch = MyLatch;
  shared->check_all = true;
  SpinLockRelease(&shared->mutex);
  for (;;) {
    pg::call([] {
      ResetLatch(MyLatch);
      CHECK_FOR_INTERRUPTS();
      if (ConfigReloadPending) {
        ConfigReloadPending = false;
        ProcessConfigFile(PGC_SIGHUP);
        pending_all = true;  // e.g. unpaused: look for queued jobs everywhere
      }
      launcher_iteration();
      // Woken by a committed job, a worker starting or stopping (bgw_notify_pid) or a reload;
      // the timeout retries what could not start.
      (void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 10000L,
                      PG_WAIT_EXTENSION);
    });
  }
}

}  // namespace

void define_settings() {
  DefineCustomBoolVariable(
      "pgfast.index_worker_paused",
      "Pauses background index builds: queued jobs wait until it is turned off.", nullptr, &paused,
      false, PGC_SIGHUP, 0, nullptr, nullptr, nullptr);
}

void register_workers() {
  previous_shmem_request = shmem_request_hook;
  shmem_request_hook = on_shmem_request;
  previous_shmem_startup = shmem_startup_hook;
  shmem_startup_hook = on_shmem_startup;
  BackgroundWorker worker;
  fill_worker(worker, "pgfast_index_launcher_main", "pgfast index launcher", 0);
  worker.bgw_restart_time = 5;  // seconds; queued jobs are rows and wait meanwhile
  RegisterBackgroundWorker(&worker);
}

bool workers_available() {
  return shared != nullptr;
}

void wake_launcher_at_commit() {
  if (!xact_callback_registered) {
    pg::call([] { RegisterXactCallback(on_xact_event, nullptr); });
    xact_callback_registered = true;
  }
  wake_database = MyDatabaseId;
}

}  // namespace pgfast::indexes

extern "C" {

void pgfast_index_launcher_main(Datum) {
  pqsignal(SIGHUP, SignalHandlerForConfigReload);
  pqsignal(SIGTERM, die);
  BackgroundWorkerUnblockSignals();
  pgfast::pg::sql_entry_void([&] { pgfast::indexes::launcher_loop(); });
  proc_exit(0);
}

void pgfast_index_database_main(Datum arg) {
  pqsignal(SIGHUP, SignalHandlerForConfigReload);
  pqsignal(SIGTERM, die);
  BackgroundWorkerUnblockSignals();
  Oid database = DatumGetObjectId(arg);
  BackgroundWorkerInitializeConnectionByOid(database, InvalidOid, 0);
  pgfast::pg::sql_entry_void([&] { pgfast::indexes::database_loop(); });
  proc_exit(0);
}

void pgfast_index_build_main(Datum arg) {
  pqsignal(SIGTERM, die);
  BackgroundWorkerUnblockSignals();
  int slot = DatumGetInt32(arg);
  pgfast::indexes::BuildSlot* s = &pgfast::indexes::shared->slots[slot];
  BackgroundWorkerInitializeConnectionByOid(s->database, s->role, 0);
  pgfast::pg::sql_entry_void([&] { pgfast::indexes::run_build(s); });
  proc_exit(0);
}
}
