#include "indexes/worker.hpp"

#include <algorithm>
#include <cstring>
#include <map>
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
#include "catalog/catalog.h"
#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/pg_index.h"
#include "catalog/pg_database.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/analyze.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lmgr.h"
#include "storage/procarray.h"
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
#include "utils/syscache.h"

PGDLLEXPORT void pgfast_index_launcher_main(Datum arg);
PGDLLEXPORT void pgfast_index_database_main(Datum arg);
PGDLLEXPORT void pgfast_index_build_main(Datum arg);
}

namespace pgfast::indexes {

namespace {

constexpr int kDatabaseWorkers = 8;       // databases building at the same time
constexpr int kMaxBuildsPerDatabase = 8;  // bound of pgfast.index_builds_per_database
constexpr int kBuildSlots = 16;           // builds at the same time, all databases together
constexpr int kMaxWanted = 64;
// The database worker's own lock waits (dropping a dead build's leftover on a table whose owner
// may hold a lock on it): short, so no role can hold up the jobs of the others with them.
constexpr const char* kDatabaseWorkerLockTimeout = "1000";

enum SlotState : int { kSlotPending = 0, kSlotDone = 1, kSlotFailed = 2 };

// One build handed from a database worker to its build worker. The build worker copies it under
// the spinlock (the generation, passed in bgw_extra, tells it the slot is still its own).
struct BuildSlot {
  bool in_use;
  pid_t owner_pid;    // the database worker that claimed it
  uint64 generation;  // bumped at each claim: a build worker orphaned by its database worker
                      // never writes into the slot's next use
  Oid database;
  Oid role;
  Oid relation;
  int state;
  char definition[kMaxJobDefinition];
  char index_name[NAMEDATALEN];
  char search_path[1024];  // the caller's, when the job was queued
  char error[2048];
};

// The database worker of a database (one at a time per database), freed when it exits.
struct DatabaseWorker {
  Oid database;
  pid_t pid;
  Latch* latch;  // set when a job of its database is committed
};

struct Shared {
  slock_t mutex;
  uint64 generation;
  DatabaseWorker database_workers[kDatabaseWorkers];
  Latch* launcher_latch;
  bool check_all;
  int wanted_count;
  Oid wanted[kMaxWanted];
  BuildSlot slots[kBuildSlots];
};

Shared* shared = nullptr;
bool paused = false;
int builds_per_database = 2;         // pgfast.index_builds_per_database
int build_lock_timeout_ms = 300000;  // pgfast.index_build_lock_timeout
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
    Latch* database_worker = nullptr;  // a running one claims the new job without the launcher
    for (int i = 0; i < kDatabaseWorkers; ++i) {
      if (shared->database_workers[i].pid != 0 &&
          shared->database_workers[i].database == wake_database) {
        database_worker = shared->database_workers[i].latch;
      }
    }
    SpinLockRelease(&shared->mutex);
    if (latch != nullptr) SetLatch(latch);
    if (database_worker != nullptr) SetLatch(database_worker);
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

// Plain PostgreSQL calls: run inside pg::call. The parse/plan memory (`parse_context`, made and
// deleted by the caller, also when this fails) outlives the transactions the statement may commit
// internally (CREATE INDEX CONCURRENTLY commits three times). For a CREATE INDEX, the table is
// named from `relation` as it is called now (renamed or moved since the job was queued).
void execute_top_level(const char* sql, MemoryContext parse_context, Oid relation) {
  SetCurrentStatementStartTimestamp();
  debug_query_string = sql;
  pgstat_report_activity(STATE_RUNNING, sql);
  StartTransactionCommand();
  MemoryContext old = MemoryContextSwitchTo(parse_context);
  List* raw = pg_parse_query(sql);
  if (list_length(raw) != 1) elog(ERROR, "pgfast: one statement expected");
  RawStmt* parsed = linitial_node(RawStmt, raw);
  if (OidIsValid(relation) && IsA(parsed->stmt, IndexStmt)) {
    char* name = get_rel_name(relation);
    char* schema = get_namespace_name(get_rel_namespace(relation));
    if (name == nullptr || schema == nullptr) {
      ereport(ERROR, (errcode(ERRCODE_UNDEFINED_TABLE), errmsg("the table no longer exists")));
    }
    castNode(IndexStmt, parsed->stmt)->relation = makeRangeVar(schema, name, -1);
  }
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

// Plain PostgreSQL calls (pg::call). Drops the index `name` of `relation` if it is INVALID (what a
// failed concurrent build leaves), checked and dropped in one transaction, by OID. The table's
// SHARE UPDATE EXCLUSIVE lock comes first: a CREATE INDEX CONCURRENTLY still running on the table
// holds it until it ends, so an index being built is never taken for a leftover. Returns whether
// it dropped one and whether the index is there and valid.
struct LeftoverCheck {
  bool dropped;
  bool valid;
};

// `work` outlives the transactions index_drop commits internally; the caller deletes it.
LeftoverCheck drop_leftover_in_transaction(Oid relation, const char* name, MemoryContext work) {
  LeftoverCheck result{false, false};
  SetCurrentStatementStartTimestamp();
  StartTransactionCommand();
  bool exists = SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relation));
  // No snapshot (not even the catalog's) while waiting for the lock: the build holding it waits
  // for older snapshots, which would be a deadlock.
  InvalidateCatalogSnapshot();
  if (exists) LockRelationOid(relation, ShareUpdateExclusiveLock);
  PushActiveSnapshot(GetTransactionSnapshot());
  if (exists && SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relation))) {
    Oid namespace_oid = get_rel_namespace(relation);
    Oid index = OidIsValid(namespace_oid) ? get_relname_relid(name, namespace_oid) : InvalidOid;
    if (OidIsValid(index)) {
      LockRelationOid(index, ShareUpdateExclusiveLock);
      HeapTuple tuple = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(index));
      bool leftover = false;
      if (HeapTupleIsValid(tuple)) {
        auto* form = reinterpret_cast<Form_pg_index>(GETSTRUCT(tuple));
        leftover = form->indrelid == relation && !form->indisvalid;
        result.valid = form->indrelid == relation && form->indisvalid;
        ReleaseSysCache(tuple);
      }
      if (leftover) {
        // DROP INDEX CONCURRENTLY's own path: index_drop commits internally (and pops the
        // active snapshot).
        // performMultipleDeletions, not performDeletion: only it passes the flag on to the
        // deletion lock (SHARE UPDATE EXCLUSIVE; ACCESS EXCLUSIVE would assign an xid).
        ObjectAddress object;
        ObjectAddressSet(object, RelationRelationId, index);
        (void)MemoryContextSwitchTo(work);  // the current one is freed by index_drop's commit
        ObjectAddresses* objects = new_object_addresses();
        add_exact_object_address(&object, objects);
        performMultipleDeletions(objects, DROP_RESTRICT, PERFORM_DELETION_CONCURRENTLY);
        MemoryContextSwitchTo(CurTransactionContext);
        result.dropped = true;
      }
    }
  }
  if (ActiveSnapshotSet()) PopActiveSnapshot();
  CommitTransactionCommand();
  return result;
}

// Drops the INVALID index `name` of `relation` if there is one. Returns an error text when that
// fails, else empty.
std::string drop_invalid_index(Oid relation, const std::string& name, bool* valid = nullptr) {
  const char* n = name.c_str();
  MemoryContext work = pg::call([] {
    return AllocSetContextCreate(TopMemoryContext, "pgfast drop leftover", ALLOCSET_SMALL_SIZES);
  });
  std::string error;
  try {
    LeftoverCheck check =
        pg::call([relation, n, work] { return drop_leftover_in_transaction(relation, n, work); });
    if (valid != nullptr) *valid = check.valid;
  } catch (const Error& e) {
    abort_transaction();
    error = "; dropping the invalid index failed: " + error_text(e);
  }
  pg::call([work] { MemoryContextDelete(work); });
  return error;
}

// ---- build worker ------------------------------------------------------------------------------

// The build worker's copy of its slot (static: one per process, too big for the stack).
struct BuildInput {
  Oid database;
  Oid role;
  Oid relation;
  char definition[kMaxJobDefinition];
  char index_name[NAMEDATALEN];
  char search_path[sizeof(BuildSlot::search_path)];
};
BuildInput input;

// Plain C: copies the slot under the spinlock (fixed buffers, nothing allocated). False when the
// slot is no longer this build's (its database worker exited and the slot was taken again).
bool take_build_input(int slot, uint64 generation) {
  if (slot < 0 || slot >= kBuildSlots) return false;
  bool ours = false;
  SpinLockAcquire(&shared->mutex);
  const BuildSlot* s = &shared->slots[slot];
  if (s->in_use && s->generation == generation) {
    ours = true;
    input.database = s->database;
    input.role = s->role;
    input.relation = s->relation;
    memcpy(input.definition, s->definition, sizeof(input.definition));
    memcpy(input.index_name, s->index_name, sizeof(input.index_name));
    memcpy(input.search_path, s->search_path, sizeof(input.search_path));
  }
  SpinLockRelease(&shared->mutex);
  input.definition[sizeof(input.definition) - 1] = '\0';
  input.index_name[sizeof(input.index_name) - 1] = '\0';
  input.search_path[sizeof(input.search_path) - 1] = '\0';
  return ours;
}

// The text recorded for a failed build: a lock wait cut short by the lock timeout says which
// setting did it.
std::string build_error_text(const Error& e) {
  std::string text = error_text(e);
  if (e.sqlstate() == sqlstate::kLockNotAvailable && build_lock_timeout_ms > 0) {
    text = "the build waited longer than pgfast.index_build_lock_timeout (" +
           std::to_string(build_lock_timeout_ms) +
           " ms) for a lock or an older transaction on the table: " + text;
  }
  return text;
}

void run_build(int slot, uint64 generation) {
  std::string definition(input.definition);
  Oid relation = input.relation;
  std::string name(input.index_name);
  pg::call([] { pgstat_report_appname("pgfast index build"); });
  const char* sql = definition.c_str();
  const char* search_path = input.search_path;
  // Every lock wait of the build (CREATE INDEX CONCURRENTLY's waits for writers and older
  // snapshots are lock waits too) is bounded. PGC_S_OVERRIDE: no ALTER ROLE/DATABASE ... SET
  // lock_timeout and no SET inside the definition's functions lifts it.
  char lock_timeout[32];
  snprintf(lock_timeout, sizeof(lock_timeout), "%d", build_lock_timeout_ms);
  const char* timeout = lock_timeout;
  pg::call([timeout] { SetConfigOption("lock_timeout", timeout, PGC_SUSET, PGC_S_OVERRIDE); });
  std::string error;
  MemoryContext parse_context = pg::call([] {
    return AllocSetContextCreate(TopMemoryContext, "pgfast index build", ALLOCSET_DEFAULT_SIZES);
  });
  try {
    // Names in the definition's expressions resolve as they did for the caller who queued it.
    if (search_path[0] != '\0') {
      pg::call([search_path] {
        SetConfigOption("search_path", search_path, PGC_USERSET, PGC_S_SESSION);
      });
    }
    pg::call([sql, parse_context, relation] { execute_top_level(sql, parse_context, relation); });
  } catch (const Error& e) {
    error = build_error_text(e);
    abort_transaction();
    error += drop_invalid_index(relation, name);
  }
  pg::call([parse_context] { MemoryContextDelete(parse_context); });
  // Cut at a character boundary: the text becomes index_job.error, a text value never validated
  // again (a cut inside a multibyte character would be invalid in the server encoding).
  char copy[sizeof(BuildSlot::error)];
  const char* text = error.c_str();
  const int length = static_cast<int>(error.size());
  const int kept = pg::call([text, length] {
    return pg_mbcliplen(text, length, static_cast<int>(sizeof(BuildSlot::error)) - 1);
  });
  memcpy(copy, text, static_cast<size_t>(kept));
  copy[kept] = '\0';
  SpinLockAcquire(&shared->mutex);
  BuildSlot* s = &shared->slots[slot];
  if (s->in_use && s->generation == generation) {
    memcpy(s->error, copy, sizeof(copy));
    s->state = error.empty() ? kSlotDone : kSlotFailed;
  }
  SpinLockRelease(&shared->mutex);
}

// ---- database worker ---------------------------------------------------------------------------

struct Job {
  int64_t id = 0;
  Oid role = InvalidOid;
  Oid relation = InvalidOid;
  int worker_pid = 0;
  std::string definition;
  std::string search_path;
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

// Whether `pid` is a live backend of this database (a build worker an earlier database worker
// started, still running after that database worker was terminated).
bool backend_alive(int pid) {
  if (pid <= 0) return false;
  return pg::call([pid] {
    PGPROC* proc = BackendPidGetProc(pid);
    return proc != nullptr && proc->databaseId == MyDatabaseId;
  });
}

// Jobs an earlier database worker left `running` (server restart, worker terminated): a build
// worker still running is waited for first (its result is lost with the worker that started it),
// then the job is failed and an INVALID leftover dropped.
void fail_interrupted_jobs() {
  std::vector<Job> jobs;
  in_transaction([&](pg::SpiSession& spi) {
    spi.execute(
        "SELECT job_id, relation, index_name, COALESCE(worker_pid, 0) FROM pgfast.index_job "
        "WHERE state OPERATOR(pg_catalog.=) 'running'::pg_catalog.text",
        false);
    for (uint64_t r = 0; r < spi.rows(); ++r) {
      Job job;
      job.id = std::stoll(spi.text_not_null(r, 0));
      job.relation = static_cast<Oid>(std::stoul(spi.text_not_null(r, 1)));
      job.index_name = spi.text_not_null(r, 2);
      job.worker_pid = std::stoi(spi.text_not_null(r, 3));
      jobs.push_back(job);
    }
  });
  for (const Job& job : jobs) {
    while (backend_alive(job.worker_pid)) {
      pg::call([] {
        (void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 200L,
                        PG_WAIT_EXTENSION);
        ResetLatch(MyLatch);
        CHECK_FOR_INTERRUPTS();
      });
    }
    std::string error = "the build was interrupted (server restart or worker exit)";
    bool valid = false;
    error += drop_invalid_index(job.relation, job.index_name, &valid);
    if (valid) error += "; the index exists and is valid";
    finish_job(job.id, false, error);
  }
}

// The oldest queued job of each role with queued jobs: a loose index scan over
// index_job_queued_by_role, one probe per role (O(roles · log jobs), however many jobs one role
// queued).
constexpr const char* kQueuedPerRole =
    "WITH RECURSIVE roles(role, job) AS ("
    " (SELECT requested_by, job_id FROM pgfast.index_job"
    "   WHERE state OPERATOR(pg_catalog.=) 'queued'::pg_catalog.text"
    "   ORDER BY requested_by, job_id LIMIT 1)"
    " UNION ALL"
    " SELECT n.requested_by, n.job_id FROM roles r CROSS JOIN LATERAL"
    " (SELECT j.requested_by, j.job_id FROM pgfast.index_job j"
    "   WHERE j.state OPERATOR(pg_catalog.=) 'queued'::pg_catalog.text"
    "   AND j.requested_by OPERATOR(pg_catalog.>) r.role"
    "   ORDER BY j.requested_by, j.job_id LIMIT 1) n) "
    "SELECT job, role FROM roles";

// Claims the next job (`found`; `chosen` is the job tried, 0 when none is queued): the oldest
// queued job of the requesting role served least recently by this database worker, among the
// roles with no build running (`busy`). Round robin between roles: one role's many jobs never
// queue another role's job behind them, and no role runs two builds at once. A chosen job whose
// table was dropped is failed (so it strands no later job).
void claim_once(Job& job, const std::vector<Oid>& busy, const std::map<Oid, uint64_t>& served,
                int64_t& chosen, bool& found) {
  in_transaction([&](pg::SpiSession& spi) {
    spi.execute(kQueuedPerRole, false);
    uint64_t chosen_turn = 0;
    for (uint64_t r = 0; r < spi.rows(); ++r) {
      int64_t id = std::stoll(spi.text_not_null(r, 0));
      Oid role = static_cast<Oid>(std::stoul(spi.text_not_null(r, 1)));
      if (std::find(busy.begin(), busy.end(), role) != busy.end()) continue;
      auto it = served.find(role);
      uint64_t turn = it == served.end() ? 0 : it->second;
      if (chosen == 0 || turn < chosen_turn || (turn == chosen_turn && id < chosen)) {
        chosen = id;
        chosen_turn = turn;
      }
    }
    if (chosen == 0) return;
    pg::SpiArgs args;
    args.add(INT8OID, Int64GetDatum(chosen));
    spi.execute(
        "UPDATE pgfast.index_job j SET state = 'running', started_at = "
        "pg_catalog.clock_timestamp() "
        "FROM pg_catalog.pg_class c "
        "WHERE c.oid OPERATOR(pg_catalog.=) j.relation AND j.job_id OPERATOR(pg_catalog.=) $1 "
        "AND j.state OPERATOR(pg_catalog.=) 'queued'::pg_catalog.text "
        "RETURNING j.job_id, j.requested_by, j.definition, j.relation, j.index_name, "
        "COALESCE(j.search_path, '')",
        args, false);
    if (spi.rows() == 0) {
      spi.execute(
          "UPDATE pgfast.index_job j SET state = 'failed', error = 'the table no longer exists', "
          "finished_at = pg_catalog.clock_timestamp() WHERE j.job_id OPERATOR(pg_catalog.=) $1 "
          "AND j.state OPERATOR(pg_catalog.=) 'queued'::pg_catalog.text AND NOT EXISTS "
          "(SELECT 1 FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) j.relation)",
          args, false);
      return;
    }
    found = true;
    job.id = std::stoll(spi.text_not_null(0, 0));
    job.role = static_cast<Oid>(std::stoul(spi.text_not_null(0, 1)));
    job.definition = spi.text_not_null(0, 2);
    job.relation = static_cast<Oid>(std::stoul(spi.text_not_null(0, 3)));
    job.index_name = spi.text_not_null(0, 4);
    job.search_path = spi.text_not_null(0, 5);
  });
}

bool claim_next_job(Job& job, const std::vector<Oid>& busy, const std::map<Oid, uint64_t>& served) {
  for (;;) {
    int64_t chosen = 0;
    bool found = false;
    claim_once(job, busy, served, chosen, found);
    if (found || chosen == 0) return found;
    // The chosen job's table was dropped (the job is failed now): look again.
  }
}

// A claimed job that could not start while other builds of this database run: queued again, it
// starts when one of them ends.
void requeue_job(int64_t id) {
  in_transaction([&](pg::SpiSession& spi) {
    pg::SpiArgs args;
    args.add(INT8OID, Int64GetDatum(id));
    spi.execute(
        "UPDATE pgfast.index_job SET state = 'queued', started_at = NULL, worker_pid = NULL "
        "WHERE job_id OPERATOR(pg_catalog.=) $1",
        args, false);
  });
}

void record_worker_pid(int64_t id, pid_t pid) {
  in_transaction([&](pg::SpiSession& spi) {
    pg::SpiArgs args;
    args.add(INT8OID, Int64GetDatum(id));
    args.add(INT4OID, Int32GetDatum(pid));
    spi.execute(
        "UPDATE pgfast.index_job SET worker_pid = $2 WHERE job_id OPERATOR(pg_catalog.=) $1", args,
        false);
  });
}

// Plain C (no allocation under the spinlock: the strings fit the slot, checked by the caller).
int claim_slot(const Job& job, uint64* generation) {
  int chosen = -1;
  SpinLockAcquire(&shared->mutex);
  for (int i = 0; i < kBuildSlots && chosen < 0; ++i) {
    if (!shared->slots[i].in_use) {
      chosen = i;
      BuildSlot* s = &shared->slots[i];
      s->in_use = true;
      s->owner_pid = MyProcPid;
      s->generation = ++shared->generation;
      *generation = s->generation;
      s->database = MyDatabaseId;
      s->role = job.role;
      s->relation = job.relation;
      s->state = kSlotPending;
      snprintf(s->definition, sizeof(s->definition), "%s", job.definition.c_str());
      snprintf(s->index_name, sizeof(s->index_name), "%s", job.index_name.c_str());
      snprintf(s->search_path, sizeof(s->search_path), "%s", job.search_path.c_str());
      s->error[0] = '\0';
    }
  }
  SpinLockRelease(&shared->mutex);
  return chosen;
}

void free_slot(int slot) {
  SpinLockAcquire(&shared->mutex);
  shared->slots[slot].in_use = false;
  SpinLockRelease(&shared->mutex);
}

// A build this database worker started and has not collected yet.
struct RunningBuild {
  Job job;
  int slot = -1;
  BackgroundWorkerHandle* handle = nullptr;
  bool started = false;  // the postmaster started the process
};

// Starts the job in a build worker. False (nothing started, the slot free again) when no build
// slot or no background worker (max_worker_processes) is free.
bool start_build(const Job& job, RunningBuild& build) {
  uint64 generation = 0;
  int slot = claim_slot(job, &generation);
  if (slot < 0) return false;
  BackgroundWorker worker;
  fill_worker(worker, "pgfast_index_build_main", "pgfast index build", Int32GetDatum(slot));
  static_assert(sizeof(generation) <= sizeof(worker.bgw_extra), "bgw_extra holds the generation");
  memcpy(worker.bgw_extra, &generation, sizeof(generation));
  worker.bgw_notify_pid = MyProcPid;
  BackgroundWorkerHandle* handle = nullptr;
  if (!pg::call([&worker, &handle] { return RegisterDynamicBackgroundWorker(&worker, &handle); })) {
    free_slot(slot);
    return false;
  }
  pid_t pid = 0;
  bool started = pg::call(
      [handle, &pid] { return WaitForBackgroundWorkerStartup(handle, &pid) == BGWH_STARTED; });
  build.job = job;
  build.slot = slot;
  build.handle = handle;
  build.started = started;
  if (started) record_worker_pid(job.id, pid);
  return true;
}

bool build_stopped(const RunningBuild& build) {
  BackgroundWorkerHandle* handle = build.handle;
  return pg::call([handle] {
    pid_t pid;
    return GetBackgroundWorkerPid(handle, &pid) == BGWH_STOPPED;
  });
}

// The outcome of a build whose worker has exited; frees its slot. Empty: done.
std::string collect_build(RunningBuild& build) {
  // No allocation under the spinlock: the error is copied into a fixed buffer first.
  char error_copy[sizeof(BuildSlot::error)];
  SpinLockAcquire(&shared->mutex);
  BuildSlot* s = &shared->slots[build.slot];
  int state = s->state;
  memcpy(error_copy, s->error, sizeof(error_copy));
  s->in_use = false;
  SpinLockRelease(&shared->mutex);
  BackgroundWorkerHandle* handle = build.handle;
  pg::call([handle] { pfree(handle); });
  build.handle = nullptr;
  error_copy[sizeof(error_copy) - 1] = '\0';
  std::string error = error_copy;
  if (state == kSlotDone) return {};
  if (state == kSlotFailed) return error.empty() ? "failed" : error;
  // The build worker never ran the job (could not start, or could not connect as the role).
  std::string message =
      build.started ? "the build worker exited before finishing (could the role connect? see the "
                      "server log)"
                    : "could not start a build worker (max_worker_processes?)";
  return message + drop_invalid_index(build.job.relation, build.job.index_name);
}

// Plain C: runs at this database worker's exit (normal, error or SIGTERM), so neither its build
// slots nor its database's entry stay taken.
void release_shared_entries(int, Datum) {
  if (shared == nullptr) return;
  SpinLockAcquire(&shared->mutex);
  for (int i = 0; i < kBuildSlots; ++i) {
    if (shared->slots[i].in_use && shared->slots[i].owner_pid == MyProcPid) {
      shared->slots[i].in_use = false;
    }
  }
  for (int i = 0; i < kDatabaseWorkers; ++i) {
    if (shared->database_workers[i].pid == MyProcPid) {
      shared->database_workers[i].pid = 0;
      shared->database_workers[i].database = InvalidOid;
      shared->database_workers[i].latch = nullptr;
    }
  }
  SpinLockRelease(&shared->mutex);
}

// One database worker per database, even when a restarted launcher has lost track of one still
// running: an entry in shared memory, freed when the worker exits (no advisory lock, which any
// role could take first to stop the builds).
bool sole_database_worker() {
  pg::call([] { before_shmem_exit(release_shared_entries, 0); });
  bool claimed = false;
  SpinLockAcquire(&shared->mutex);
  int free_entry = -1;
  bool taken = false;
  for (int i = 0; i < kDatabaseWorkers; ++i) {
    if (shared->database_workers[i].pid == 0) {
      if (free_entry < 0) free_entry = i;
    } else if (shared->database_workers[i].database == MyDatabaseId) {
      taken = true;
    }
  }
  if (!taken && free_entry >= 0) {
    shared->database_workers[free_entry].database = MyDatabaseId;
    shared->database_workers[free_entry].pid = MyProcPid;
    shared->database_workers[free_entry].latch = MyLatch;
    claimed = true;
  }
  SpinLockRelease(&shared->mutex);
  return claimed;
}

// How many one-second waits for a free background-worker slot, with no build of this database
// running, before a job fails: a passing shortage (parallel queries) only delays the job.
constexpr int kMaxSlotWaits = 60;

// pgfast.index_builds_per_database, leaving background workers for the launcher and this worker.
size_t builds_allowed() {
  int allowed = std::min(builds_per_database, max_worker_processes - 2);
  return static_cast<size_t>(std::max(allowed, 1));
}

// Up to builds_allowed() builds at once, at most one per requesting role, roles served in turn.
// A role whose build waits (on its own locks, say) holds one of them, and each of its lock waits
// lasts at most pgfast.index_build_lock_timeout; the other roles' jobs go on. Exits when nothing
// runs and nothing can be claimed (the launcher starts it again for the next committed job).
void database_loop() {
  // This worker is the bootstrap superuser: no name in its SQL may resolve through a search_path
  // someone else chose (ALTER DATABASE/ROLE ... SET search_path), which would run their operator
  // `=` as superuser. PGC_S_OVERRIDE wins over every per-database and per-role setting.
  pg::call([] {
    SetConfigOption("search_path", pg::kSafeSearchPath, PGC_SUSET, PGC_S_OVERRIDE);
    SetConfigOption("lock_timeout", kDatabaseWorkerLockTimeout, PGC_SUSET, PGC_S_OVERRIDE);
  });
  if (!has_job_table()) return;
  if (!sole_database_worker()) return;
  pg::call([] { pgstat_report_appname("pgfast index jobs"); });
  fail_interrupted_jobs();
  std::vector<RunningBuild> builds;
  std::map<Oid, uint64_t> served;  // role -> the turn of its last build here
  uint64_t turn = 0;
  int slot_waits = 0;  // one-second waits for a free background-worker slot, nothing running
  for (;;) {
    pg::check_for_interrupts();
    if (ConfigReloadPending) {
      ConfigReloadPending = false;
      pg::call([] { ProcessConfigFile(PGC_SIGHUP); });
    }
    for (size_t i = 0; i < builds.size();) {
      if (build_stopped(builds[i])) {
        std::string error = collect_build(builds[i]);
        finish_job(builds[i].job.id, error.empty(), error);
        builds.erase(builds.begin() + static_cast<std::ptrdiff_t>(i));
      } else {
        ++i;
      }
    }
    while (!paused && builds.size() < builds_allowed()) {
      std::vector<Oid> busy;
      for (const RunningBuild& b : builds) busy.push_back(b.job.role);
      Job job;
      if (!claim_next_job(job, busy, served)) {
        if (builds.empty()) slot_waits = 0;  // nothing left that waits for a slot
        break;
      }
      const uint64_t previous_turn = served[job.role];
      served[job.role] = ++turn;
      if (job.definition.size() >= kMaxJobDefinition) {
        finish_job(job.id, false, "the index definition is too long");
        continue;
      }
      RunningBuild build;
      if (start_build(job, build)) {
        builds.push_back(build);
        slot_waits = 0;
      } else if (!builds.empty() || ++slot_waits < kMaxSlotWaits) {
        // Every background-worker slot is taken (parallel queries, other databases' builds):
        // the job waits for one, and keeps its role's turn.
        requeue_job(job.id);
        served[job.role] = previous_turn;
        break;
      } else {
        slot_waits = 0;
        finish_job(job.id, false,
                   "could not start a build worker for a minute (max_worker_processes, or every "
                   "build slot in use; keep max_parallel_workers below max_worker_processes - 2 - "
                   "pgfast.index_builds_per_database so parallel queries cannot take them all)");
      }
    }
    if (builds.empty() && slot_waits == 0) return;
    // Woken by a build worker's exit (bgw_notify_pid) or a committed job; the timeout covers a
    // wake-up consumed while starting a build.
    pg::call([] {
      (void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 1000L,
                      PG_WAIT_EXTENSION);
      ResetLatch(MyLatch);
    });
  }
}

// ---- launcher ----------------------------------------------------------------------------------

struct Running {
  Oid database;
  BackgroundWorkerHandle* handle;
};

Running running[kDatabaseWorkers];
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
    if (running_count >= kDatabaseWorkers) break;
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
  DefineCustomIntVariable(
      "pgfast.index_builds_per_database",
      "Sets how many background index builds one database runs at the same time (at most one per "
      "requesting role).",
      "Also bounded by max_worker_processes minus 2 (the launcher and the database worker).",
      &builds_per_database, 2, 1, kMaxBuildsPerDatabase, PGC_SIGHUP, 0, nullptr, nullptr, nullptr);
  DefineCustomIntVariable(
      "pgfast.index_build_lock_timeout",
      "Sets the longest wait of a background index build for one lock (0: no limit).",
      "CREATE INDEX CONCURRENTLY's waits for writers and for older transactions count; a build "
      "that waits longer fails.",
      &build_lock_timeout_ms, 300000, 0, INT_MAX, PGC_SIGHUP, GUC_UNIT_MS, nullptr, nullptr,
      nullptr);
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

void check_background_buildable(Oid relation) {
  pg::call([relation] {
    const char* name = get_rel_name(relation);
    if (name == nullptr) {
      ereport(ERROR, (errcode(ERRCODE_UNDEFINED_TABLE),
                      errmsg("relation with OID %u does not exist", relation)));
    }
    if (get_rel_persistence(relation) == RELPERSISTENCE_TEMP) {
      ereport(ERROR,
              (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
               errmsg("cannot build an index on temporary table \"%s\" in the background", name),
               errdetail("The background worker is another session, and a temporary table is "
                         "visible only to the session that created it."),
               errhint("Use concurrently: false.")));
    }
    if (IsCatalogRelationOid(relation)) {
      ereport(ERROR,
              (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
               errmsg("cannot build an index on system catalog \"%s\" in the background", name),
               errdetail("PostgreSQL does not build indexes on system catalogs concurrently."),
               errhint("Use concurrently: false (with allow_system_table_mods).")));
    }
    char kind = get_rel_relkind(relation);
    if (kind != RELKIND_RELATION && kind != RELKIND_MATVIEW) {
      ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                      errmsg("cannot build an index on \"%s\" in the background", name),
                      errdetail("Only tables and materialized views are built concurrently."),
                      errhint("Use concurrently: false, or build on each partition.")));
    }
  });
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
  uint64 generation;
  memcpy(&generation, MyBgworkerEntry->bgw_extra, sizeof(generation));
  // Orphaned before it started (its database worker exited and the slot was reused): nothing to do.
  if (!pgfast::indexes::take_build_input(slot, generation)) proc_exit(0);
  BackgroundWorkerInitializeConnectionByOid(pgfast::indexes::input.database,
                                            pgfast::indexes::input.role, 0);
  pgfast::pg::sql_entry_void([&] { pgfast::indexes::run_build(slot, generation); });
  proc_exit(0);
}
}
