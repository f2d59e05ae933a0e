// The launcher: a static worker connected to no database, which starts one database worker per
// database that may have queued jobs (indexes/worker.hpp tells the whole story).
#include "indexes/worker_shared.hpp"
#include "pg/guard.hpp"
#include "pg/top_level.hpp"

extern "C" {
#include "pgstat.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/wait_event.h"

PGDLLEXPORT void pgfast_index_launcher_main(Datum arg);
}

namespace pgfast::indexes {

namespace {

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
    pg::for_each_connectable_database(add_pending);
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

}  // namespace pgfast::indexes

extern "C" void pgfast_index_launcher_main(Datum) {
  pqsignal(SIGHUP, SignalHandlerForConfigReload);
  pqsignal(SIGTERM, die);
  BackgroundWorkerUnblockSignals();
  pgfast::pg::sql_entry_void([&] { pgfast::indexes::launcher_loop(); });
  proc_exit(0);
}
