#include "pg/top_level.hpp"

extern "C" {
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_database.h"
#include "parser/analyze.h"
#include "pgstat.h"
#include "tcop/pquery.h"
#include "tcop/tcopprot.h"
#include "tcop/utility.h"
#include "utils/lsyscache.h"
#include "utils/portal.h"
#include "utils/snapmgr.h"
}

namespace pgfast::pg {

void execute_top_level(const char* sql, MemoryContext parse_context, StatementAdjuster adjust,
                       const void* argument) {
  SetCurrentStatementStartTimestamp();
  debug_query_string = sql;
  pgstat_report_activity(STATE_RUNNING, sql);
  StartTransactionCommand();
  MemoryContext old = MemoryContextSwitchTo(parse_context);
  List* raw = pg_parse_query(sql);
  if (list_length(raw) != 1) elog(ERROR, "pgfast: one statement expected");
  RawStmt* parsed = linitial_node(RawStmt, raw);
  if (adjust != nullptr) adjust(parsed->stmt, argument);
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

void abort_transaction() {
  call([] {
    HOLD_INTERRUPTS();
    QueryCancelPending = false;
    AbortCurrentTransaction();
    RESUME_INTERRUPTS();
    debug_query_string = nullptr;
    pgstat_report_activity(STATE_IDLE, nullptr);
  });
}

void start_transaction_with_snapshot() {
  SetCurrentStatementStartTimestamp();
  StartTransactionCommand();
  PushActiveSnapshot(GetTransactionSnapshot());
}

void commit_transaction_with_snapshot() {
  PopActiveSnapshot();
  CommitTransactionCommand();
}

void for_each_connectable_database(void (*visit)(Oid database)) {
  StartTransactionCommand();
  Relation rel = table_open(DatabaseRelationId, AccessShareLock);
  TableScanDesc scan = table_beginscan_catalog(rel, 0, nullptr);
  HeapTuple tuple;
  while ((tuple = heap_getnext(scan, ForwardScanDirection)) != nullptr) {
    auto* db = reinterpret_cast<Form_pg_database>(GETSTRUCT(tuple));
    if (db->datallowconn && !db->datistemplate) visit(db->oid);
  }
  table_endscan(scan);
  table_close(rel, AccessShareLock);
  CommitTransactionCommand();
}

bool relation_exists_in_own_transaction(const char* schema, const char* name) {
  return call([schema, name] {
    StartTransactionCommand();
    Oid namespace_oid = get_namespace_oid(schema, true);
    bool found = OidIsValid(namespace_oid) && OidIsValid(get_relname_relid(name, namespace_oid));
    CommitTransactionCommand();
    return found;
  });
}

}  // namespace pgfast::pg
