// pgfast::StatementCacheMode: whether Connection::execute_prepared keeps named server-side prepared
// statements (DatabaseOptions::statement_cache, ConnectionOptions::statement_cache, environment
// DATABASE_STATEMENT_CACHE=auto|on|off). Named statements live in one server session, so they
// break behind a pooler that hands a client a different session per transaction (PgBouncer in
// transaction or statement mode); unnamed statements are sent with their parameters in one
// message batch and work anywhere.
#pragma once

namespace pgfast {

enum class StatementCacheMode {
  // Named statements unless the connection goes through a pooler, which each connection checks once
  // (Connection::through_pooler()) before its first named statement; then unnamed statements.
  automatic,
  // Named statements always (a direct connection, or a session-mode pooler).
  on,
  // Unnamed statements only: execute_prepared() is execute().
  off,
};

}  // namespace pgfast
