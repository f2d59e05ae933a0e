// Statements run the way a client's top-level command runs, for background workers (which have no
// client and no transaction of their own): each statement in its own transactions, short
// transactions for SPI work, and the cleanup after a failure that a backend's main loop does.
// A function called from SQL is inside a transaction already and uses none of this.
#pragma once

#include "pg/guard.hpp"
#include "pg/postgres.hpp"
#include "pg/spi.hpp"

extern "C" {
#include "nodes/nodes.h"
}

namespace pgfast::pg {

// Called with the parsed statement before it is analyzed (to name a table afresh, say). Plain
// PostgreSQL calls only; it runs in the parse context.
using StatementAdjuster = void (*)(Node* statement, const void* argument);

// Plain PostgreSQL calls: run inside pg::call. Runs one statement as a top-level command
// (isTopLevel: it may commit internally, as CREATE INDEX CONCURRENTLY does three times). The
// parse/plan memory (`parse_context`, made and deleted by the caller, also when this fails)
// outlives those transactions. `adjust`, when given, sees the parsed statement first.
void execute_top_level(const char* sql, MemoryContext parse_context,
                       StatementAdjuster adjust = nullptr, const void* argument = nullptr);

// After a PostgreSQL error caught by pg::call outside any transaction of the caller's: ends the
// failed transaction, as a backend's main loop would.
void abort_transaction();

// Plain PostgreSQL calls: a transaction with an active snapshot, started and committed.
void start_transaction_with_snapshot();
void commit_transaction_with_snapshot();

// Plain PostgreSQL calls, outside any transaction: in a catalog-only transaction of its own,
// calls `visit` with every database one can connect to (not a template, connections allowed).
void for_each_connectable_database(void (*visit)(Oid database));

// In a catalog-only transaction of its own, outside any other: whether the relation
// `schema`.`name` exists.
bool relation_exists_in_own_transaction(const char* schema, const char* name);

// One short transaction with an SPI session and a snapshot: `body(SpiSession&)`. An exception
// from the body leaves the transaction to the caller (abort_transaction, or the worker's exit).
template <typename Body>
void in_transaction(Body&& body) {
  call([] { start_transaction_with_snapshot(); });
  {
    SpiSession spi;
    body(spi);
  }
  call([] { commit_transaction_with_snapshot(); });
}

}  // namespace pgfast::pg
