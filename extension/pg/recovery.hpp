// Refusing writes on a hot standby. PostgreSQL refuses them itself, but only once pgfast reaches
// its first write and in that statement's words (CREATE TABLE for a bulk function's stage, a lock
// mode for ensure_index): a function that writes checks up front, so the caller sees what and why.
#pragma once

namespace pgfast::pg {

// Throws pgfast::Error 25006 (read_only_sql_transaction) naming `function` when the server is in
// recovery (a hot standby), before anything is read or changed.
void refuse_during_recovery(const char* function);

}  // namespace pgfast::pg
