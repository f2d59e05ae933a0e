// Registration, shared memory, settings and the commit-time wake-up of the background index
// builds. The workers themselves: indexes/launcher.cpp, indexes/database_worker.cpp,
// indexes/build_worker.cpp; the job table: indexes/job_table.cpp.
#include "indexes/worker.hpp"

#include <cstring>

#include "indexes/worker_shared.hpp"
#include "pg/guard.hpp"

extern "C" {
#include "access/xact.h"
#include "catalog/catalog.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
}

namespace pgfast::indexes {

Shared* shared = nullptr;
bool paused = false;
int builds_per_database = 2;
int build_lock_timeout_ms = 300000;

namespace {

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

}  // namespace

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
