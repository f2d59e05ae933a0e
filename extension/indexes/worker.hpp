// Background index builds (CREATE INDEX CONCURRENTLY cannot run inside a function).
//
// Three kinds of background worker (registered by indexes/worker.cpp; each in its own file:
// indexes/launcher.cpp, indexes/database_worker.cpp, indexes/build_worker.cpp):
//  * the launcher: a static worker (registered at preload, restarted by the postmaster after a
//    crash) connected to no database. It keeps the set of databases that may have queued jobs --
//    all of them when it starts, then the ones named by backends whose transaction committed a job
//    (a transaction callback adds the database to shared memory and sets the launcher's latch) --
//    and starts one database worker per such database.
//  * the database worker: a dynamic worker connected to one database as the bootstrap superuser.
//    It marks jobs left `running` by a crash or restart as failed (dropping their INVALID index),
//    then runs up to pgfast.index_builds_per_database builds at once, at most one per requesting
//    role, claiming jobs round robin between roles (one role's stuck or many jobs never queue
//    another's behind them); it starts a build worker for each, records the outcome when it
//    exits, and exits when nothing runs or is queued.
//  * the build worker: a dynamic worker connected to the job's database AS THE ROLE THAT ASKED,
//    so PostgreSQL checks that role's right to build the index. It runs the statement as a
//    top-level command (its own transactions, like a client's) with every lock wait bounded by
//    pgfast.index_build_lock_timeout, and on failure drops the INVALID index the build left (DROP
//    INDEX CONCURRENTLY's path) and reports the error.
// Jobs are rows in pgfast.index_job, so a queued job survives a restart. pgfast.index_worker_paused
// (sighup) stops the launcher from starting builds; queued jobs wait.
#pragma once

#include <cstdint>
#include <string>

#include "pg/postgres.hpp"

namespace pgfast::indexes {

inline constexpr size_t kMaxJobDefinition = 16000;

void define_settings();
// From _PG_init while preloading: shared memory hooks and the launcher.
void register_workers();
// Refuses (0A000, naming the table, hint: concurrently false) a relation a background build
// cannot run on: a temporary table (the worker is another session), a system catalog, anything
// but a table or materialized view. The caller has checked that the relation exists.
void check_background_buildable(Oid relation);
// Whether the workers exist (the library was preloaded).
bool workers_available();
// Wakes the launcher for this database when the current transaction commits.
void wake_launcher_at_commit();

}  // namespace pgfast::indexes
