// The database worker: a dynamic worker connected to one database as the bootstrap superuser,
// which claims the database's queued jobs and starts a build worker for each (indexes/worker.hpp
// tells the whole story; the job table: indexes/job_table.cpp).
#include <algorithm>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "pg/invalid_index.hpp"
#include "indexes/job_table.hpp"
#include "indexes/worker_shared.hpp"
#include "pg/guard.hpp"
#include "pg/run_as_owner.hpp"

extern "C" {
#include "pgstat.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/proc.h"
#include "storage/procarray.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/wait_event.h"

PGDLLEXPORT void pgfast_index_database_main(Datum arg);
}

namespace pgfast::indexes {

namespace {

// The database worker's own lock waits (dropping a dead build's leftover on a table whose owner
// may hold a lock on it): short, so no role can hold up the jobs of the others with them.
constexpr const char* kDatabaseWorkerLockTimeout = "1000";

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
  for (const Job& job : running_jobs()) {
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
    error += pg::drop_invalid_index(job.relation, job.index_name, &valid);
    if (valid) error += "; the index exists and is valid";
    finish_job(job.id, false, error);
  }
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
  return message + pg::drop_invalid_index(build.job.relation, build.job.index_name);
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

}  // namespace

}  // namespace pgfast::indexes

extern "C" void pgfast_index_database_main(Datum arg) {
  pqsignal(SIGHUP, SignalHandlerForConfigReload);
  pqsignal(SIGTERM, die);
  BackgroundWorkerUnblockSignals();
  Oid database = DatumGetObjectId(arg);
  BackgroundWorkerInitializeConnectionByOid(database, InvalidOid, 0);
  pgfast::pg::sql_entry_void([&] { pgfast::indexes::database_loop(); });
  proc_exit(0);
}
