// The library's entry point: module magic and _PG_init (settings, hooks, shared memory; background
// workers are registered here as the features arrive).
#include "indexes/worker.hpp"
#include "paging/settings.hpp"
#include "pg/postgres.hpp"
#include "slowlog/hooks.hpp"
#include "slowlog/settings.hpp"

extern "C" {
#include "utils/guc.h"

PG_MODULE_MAGIC;

void _PG_init(void);

// Plain PostgreSQL calls and no C++ object: an ereport from here unwinds nothing of ours.
void _PG_init(void) {
  pgfast::slowlog::define_settings(process_shared_preload_libraries_in_progress);
  pgfast::paging::define_settings();
  pgfast::indexes::define_settings();
  MarkGUCPrefixReserved("pgfast");
  // Hooks and shared memory only when preloaded: without it the slow-query views say how to
  // enable capture.
  if (process_shared_preload_libraries_in_progress) pgfast::slowlog::install_hooks();
  // Background index builds: shared memory and the launcher worker, only when preloaded.
  if (process_shared_preload_libraries_in_progress) pgfast::indexes::register_workers();
}
}
