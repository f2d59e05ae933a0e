// What the launcher, the database workers and the build workers share (indexes/worker.hpp tells
// how they work together): the shared-memory block under its spinlock, the settings, and the
// registration of a dynamic worker. Internal to extension/indexes/.
#pragma once

#include <sys/types.h>

#include "indexes/worker.hpp"
#include "pg/postgres.hpp"

extern "C" {
#include "postmaster/bgworker.h"
#include "storage/latch.h"
#include "storage/spin.h"
}

namespace pgfast::indexes {

constexpr int kDatabaseWorkers = 8;       // databases building at the same time
constexpr int kMaxBuildsPerDatabase = 8;  // bound of pgfast.index_builds_per_database
constexpr int kBuildSlots = 16;           // builds at the same time, all databases together
constexpr int kMaxWanted = 64;

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

// pgfast's block in shared memory.
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

// The block in shared memory (nullptr when the library was not preloaded); every field under
// `mutex`.
extern Shared* shared;
extern bool paused;                // pgfast.index_worker_paused
extern int builds_per_database;    // pgfast.index_builds_per_database
extern int build_lock_timeout_ms;  // pgfast.index_build_lock_timeout

// A dynamic worker of pgfast's that connects to a database and is never restarted.
void fill_worker(BackgroundWorker& worker, const char* function, const char* name, Datum arg);

}  // namespace pgfast::indexes
