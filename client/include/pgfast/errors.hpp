// The client's exception hierarchy (docs/errors.md draws it as a tree). Every exception the client
// throws derives from ClientError, whose what() is always one line. Server errors become
// DatabaseError subclasses chosen by exact SQLSTATE first (UniqueViolationError for 23505, ...),
// then by SQLSTATE class (the first two characters, IntegrityError for 23xxx), the way psycopg
// does, so callers can catch "any integrity violation" or "this exact one" without comparing
// codes. Redis failures are RedisError subclasses. Exceptions are immutable: thread-safe to read.
#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <stdexcept>
#include <optional>
#include <string>

namespace pgfast {

class ClientError : public std::runtime_error {
 public:
  // A multi-line message becomes one line: its lines trimmed, joined with " " where a line is
  // indented and starts in lower case (libpq's wrapped sentences), with "; " otherwise.
  explicit ClientError(const std::string& message);
  explicit ClientError(const char* message);
};

// A Settings variable (or an option) with a value that cannot be used.
class ConfigurationError : public ClientError {
 public:
  using ClientError::ClientError;
};

// A call that breaks the API's contract (e.g. a savepoint outside a transaction).
class UsageError : public ClientError {
 public:
  using ClientError::ClientError;
};

// A row or column index outside a Result, or a column name it does not have.
class OutOfRangeError : public ClientError {
 public:
  using ClientError::ClientError;
};

// A value that cannot be read as the type asked for (text that is not a T, NULL into a type
// that cannot hold it).
class ConversionError : public ClientError {
 public:
  using ClientError::ClientError;
};

// Database::acquire() waited for the whole acquire timeout and no connection became free.
class PoolTimeoutError : public ClientError {
 public:
  PoolTimeoutError(int pool_size, int max_overflow, std::chrono::milliseconds timeout);

  int pool_size() const noexcept { return pool_size_; }
  int max_overflow() const noexcept { return max_overflow_; }
  std::chrono::milliseconds timeout() const noexcept { return timeout_; }

 private:
  int pool_size_;
  int max_overflow_;
  std::chrono::milliseconds timeout_;
};

// Everything known about a failed statement: the server's error fields (libpq's
// PG_DIAG_* values) and the SQL that was sent.
struct DatabaseErrorInfo {
  std::string sqlstate;  // five characters, e.g. "23505"
  std::string message;   // the primary message
  std::string detail;
  std::string hint;
  std::string context;    // where it happened (PL/pgSQL line, COPY row, ...), may be multi-line
  std::string statement;  // the SQL text of the failed call; empty when none
  // libpq's whole text ("ERROR:  ...\nDETAIL:  ...\nHINT:  ...\nCONTEXT:  ..."); when empty, the
  // exception composes it from the fields above.
  std::string full_message;
  // A bulk write (BulkWriter) that the server blamed on one input row: its 1-based add_row()
  // number and, when one column is to blame, its name (docs/bulk.md, "Which row failed").
  std::optional<std::uint64_t> input_row;
  std::optional<std::string> input_column;
};

// An error reported by the server (or a lost connection). what() is the primary message, one
// line; full_message() has everything libpq said.
class DatabaseError : public ClientError {
 public:
  explicit DatabaseError(DatabaseErrorInfo info);
  DatabaseError(std::string sqlstate, const std::string& message, std::string detail = {},
                std::string hint = {});

  // Five characters, e.g. "23505".
  const std::string& sqlstate() const noexcept { return info_.sqlstate; }
  // The first two characters of sqlstate(), e.g. "23".
  std::string sqlstate_class() const { return info_.sqlstate.substr(0, 2); }
  const std::string& detail() const noexcept { return info_.detail; }
  const std::string& hint() const noexcept { return info_.hint; }
  const std::string& context() const noexcept { return info_.context; }
  // The SQL text of the execute/execute_prepared/execute_script call that failed (empty for
  // errors not tied to one statement, e.g. a failed connect).
  const std::string& statement() const noexcept { return info_.statement; }
  // Multi-line: primary message, DETAIL, HINT and CONTEXT lines as libpq formats them.
  const std::string& full_message() const noexcept { return info_.full_message; }
  const DatabaseErrorInfo& info() const noexcept { return info_; }
  // Set by BulkWriter when the server named the failing input row (and column).
  const std::optional<std::uint64_t>& input_row() const noexcept { return info_.input_row; }
  const std::optional<std::string>& input_column() const noexcept { return info_.input_column; }

 private:
  DatabaseErrorInfo info_;
};

#define PGFAST_DATABASE_ERROR_CLASS(Name, Base) \
  class Name : public Base {                    \
   public:                                      \
    using Base::Base;                           \
  }

// By SQLSTATE class.
PGFAST_DATABASE_ERROR_CLASS(ConnectionError, DatabaseError);               // 08
PGFAST_DATABASE_ERROR_CLASS(FeatureNotSupportedError, DatabaseError);      // 0A
PGFAST_DATABASE_ERROR_CLASS(DataError, DatabaseError);                     // 22
PGFAST_DATABASE_ERROR_CLASS(IntegrityError, DatabaseError);                // 23
PGFAST_DATABASE_ERROR_CLASS(InvalidTransactionStateError, DatabaseError);  // 25
PGFAST_DATABASE_ERROR_CLASS(AuthorizationError, DatabaseError);            // 28
PGFAST_DATABASE_ERROR_CLASS(TransactionRollbackError, DatabaseError);      // 40
PGFAST_DATABASE_ERROR_CLASS(SyntaxOrAccessError, DatabaseError);           // 42
PGFAST_DATABASE_ERROR_CLASS(InsufficientResourcesError, DatabaseError);    // 53
PGFAST_DATABASE_ERROR_CLASS(ProgramLimitError, DatabaseError);             // 54
PGFAST_DATABASE_ERROR_CLASS(ObjectStateError, DatabaseError);              // 55
PGFAST_DATABASE_ERROR_CLASS(OperatorInterventionError, DatabaseError);     // 57
PGFAST_DATABASE_ERROR_CLASS(SystemError, DatabaseError);                   // 58
PGFAST_DATABASE_ERROR_CLASS(ConfigFileError, DatabaseError);               // F0
PGFAST_DATABASE_ERROR_CLASS(PlpgsqlError, DatabaseError);                  // P0
PGFAST_DATABASE_ERROR_CLASS(InternalError, DatabaseError);                 // XX

// By exact SQLSTATE, each under its class's type.
PGFAST_DATABASE_ERROR_CLASS(InvalidTextRepresentationError, DataError);                  // 22P02
PGFAST_DATABASE_ERROR_CLASS(NumericValueOutOfRangeError, DataError);                     // 22003
PGFAST_DATABASE_ERROR_CLASS(NotNullViolationError, IntegrityError);                      // 23502
PGFAST_DATABASE_ERROR_CLASS(ForeignKeyViolationError, IntegrityError);                   // 23503
PGFAST_DATABASE_ERROR_CLASS(UniqueViolationError, IntegrityError);                       // 23505
PGFAST_DATABASE_ERROR_CLASS(CheckViolationError, IntegrityError);                        // 23514
PGFAST_DATABASE_ERROR_CLASS(ExclusionViolationError, IntegrityError);                    // 23P01
PGFAST_DATABASE_ERROR_CLASS(ReadOnlySqlTransactionError, InvalidTransactionStateError);  // 25006
PGFAST_DATABASE_ERROR_CLASS(SerializationFailureError, TransactionRollbackError);        // 40001
PGFAST_DATABASE_ERROR_CLASS(DeadlockDetectedError, TransactionRollbackError);            // 40P01
PGFAST_DATABASE_ERROR_CLASS(InsufficientPrivilegeError, SyntaxOrAccessError);            // 42501
PGFAST_DATABASE_ERROR_CLASS(UndefinedColumnError, SyntaxOrAccessError);                  // 42703
PGFAST_DATABASE_ERROR_CLASS(UndefinedTableError, SyntaxOrAccessError);                   // 42P01
PGFAST_DATABASE_ERROR_CLASS(LockNotAvailableError, ObjectStateError);                    // 55P03
PGFAST_DATABASE_ERROR_CLASS(QueryCanceledError, OperatorInterventionError);              // 57014
PGFAST_DATABASE_ERROR_CLASS(AdminShutdownError, OperatorInterventionError);              // 57P01

#undef PGFAST_DATABASE_ERROR_CLASS

// SQLSTATEs the client assigns itself.
inline constexpr char kSqlstateConnectionFailure[] = "08006";
inline constexpr char kSqlstateUnableToConnect[] = "08001";

// Throws the most specific DatabaseError subclass for info.sqlstate: the exact code's type, else
// its class's type, else DatabaseError itself.
[[noreturn]] void throw_database_error(DatabaseErrorInfo info);
[[noreturn]] void throw_database_error(std::string sqlstate, std::string message,
                                       std::string detail = {}, std::string hint = {});

// The same exception, not thrown: for handing across threads or storing.
std::exception_ptr make_database_error(DatabaseErrorInfo info);
std::exception_ptr make_database_error(std::string sqlstate, std::string message,
                                       std::string detail = {}, std::string hint = {});

// The Redis layer's exceptions.
class RedisError : public ClientError {
 public:
  using ClientError::ClientError;
};

// The server could not be used. The connection involved (if any) has been discarded; the next
// call connects afresh. Catch this for "Redis is down, fall back"; the subclasses say why.
class RedisUnavailableError : public RedisError {
 public:
  using RedisError::RedisError;
};

// Connect, a command or pipeline, or the wait for a free pooled connection took longer than its
// timeout (connect_timeout, command_timeout, pool_timeout).
class RedisTimeoutError : public RedisUnavailableError {
 public:
  using RedisUnavailableError::RedisUnavailableError;
};

// No connection could be made: refused (nothing listening), host unreachable or unknown, or
// AUTH/SELECT failed (wrong password, bad db number). Also thrown without a connect attempt during
// down_backoff after such a failure.
class RedisConnectionRefusedError : public RedisUnavailableError {
 public:
  using RedisUnavailableError::RedisUnavailableError;
};

// The connection was lost or closed while in use (server restarted, CLIENT KILL, timeout on the
// server, a reset, or a reply that could not be parsed).
class RedisConnectionClosedError : public RedisUnavailableError {
 public:
  using RedisUnavailableError::RedisUnavailableError;
};

// The server answered with an error reply. code() is its first word ("ERR", "NOSCRIPT",
// "WRONGTYPE", ...); what() is the whole reply text. The connection stays usable.
class RedisReplyError : public RedisError {
 public:
  explicit RedisReplyError(const std::string& reply_text);
  const std::string& code() const noexcept { return code_; }

 private:
  std::string code_;
};

}  // namespace pgfast
