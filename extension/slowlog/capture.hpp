// Turns a finished statement into a CaptureRecord: text, counters, optional plan; writes it to
// the store and the server log. Called from the hooks inside the SQL entry guard.
#pragma once

#include "pg/postgres.hpp"

extern "C" {
#include "executor/execdesc.h"
#include "executor/instrument.h"
#include "nodes/plannodes.h"
}

namespace pgfast::slowlog {

void capture_executor(QueryDesc* query_desc, double duration_ms, int nesting_level);

void capture_utility(PlannedStmt* statement, const char* query_string, double duration_ms,
                     uint64 rows, const BufferUsage* buffers, const WalUsage* wal,
                     int nesting_level);

}  // namespace pgfast::slowlog
