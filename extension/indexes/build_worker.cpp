// The build worker: a dynamic worker connected to the job's database as the role that asked, which
// runs one CREATE INDEX as a top-level command (indexes/worker.hpp tells the whole story).
#include <cstring>
#include <string>

#include "core/error.hpp"
#include "pg/invalid_index.hpp"
#include "indexes/worker_shared.hpp"
#include "pg/guard.hpp"
#include "pg/top_level.hpp"

extern "C" {
#include "mb/pg_wchar.h"
#include "nodes/makefuncs.h"
#include "nodes/parsenodes.h"
#include "pgstat.h"
#include "storage/ipc.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"

PGDLLEXPORT void pgfast_index_build_main(Datum arg);
}

namespace pgfast::indexes {

namespace {

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
  std::string text = message_and_detail(e);
  if (e.sqlstate() == sqlstate::kLockNotAvailable && build_lock_timeout_ms > 0) {
    text = "the build waited longer than pgfast.index_build_lock_timeout (" +
           std::to_string(build_lock_timeout_ms) +
           " ms) for a lock or an older transaction on the table: " + text;
  }
  return text;
}

// Plain PostgreSQL calls (a pg::StatementAdjuster): a CREATE INDEX names its table from the
// relation (`argument`, an Oid) as it is called now, renamed or moved since the job was queued.
void name_table_afresh(Node* statement, const void* argument) {
  const Oid relation = *static_cast<const Oid*>(argument);
  if (!OidIsValid(relation) || !IsA(statement, IndexStmt)) return;
  char* name = get_rel_name(relation);
  char* schema = get_namespace_name(get_rel_namespace(relation));
  if (name == nullptr || schema == nullptr) {
    ereport(ERROR, (errcode(ERRCODE_UNDEFINED_TABLE), errmsg("the table no longer exists")));
  }
  castNode(IndexStmt, statement)->relation = makeRangeVar(schema, name, -1);
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
    const Oid* table = &relation;
    pg::call([sql, parse_context, table] {
      pg::execute_top_level(sql, parse_context, name_table_afresh, table);
    });
  } catch (const Error& e) {
    error = build_error_text(e);
    pg::abort_transaction();
    error += pg::drop_invalid_index(relation, name);
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

}  // namespace

}  // namespace pgfast::indexes

extern "C" void pgfast_index_build_main(Datum arg) {
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
