// The client's exception hierarchy. Every exception the client throws derives from ClientError.
// Server errors become DatabaseError subclasses chosen by SQLSTATE class (the first two
// characters), the way psycopg does, so callers can catch "any integrity violation" or
// "any connection problem" without comparing codes.
#pragma once

#include <chrono>
#include <exception>
#include <stdexcept>
#include <string>

namespace pgfast {

class ClientError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
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

// An error reported by the server (or a lost connection). what() is the primary message.
class DatabaseError : public ClientError {
 public:
  DatabaseError(std::string sqlstate, const std::string& message, std::string detail = {},
                std::string hint = {});

  // Five characters, e.g. "23505".
  const std::string& sqlstate() const noexcept { return sqlstate_; }
  // The first two characters of sqlstate(), e.g. "23".
  std::string sqlstate_class() const { return sqlstate_.substr(0, 2); }
  const std::string& detail() const noexcept { return detail_; }
  const std::string& hint() const noexcept { return hint_; }

 private:
  std::string sqlstate_;
  std::string detail_;
  std::string hint_;
};

#define PGFAST_DATABASE_ERROR_CLASS(Name) \
  class Name : public DatabaseError {     \
   public:                                \
    using DatabaseError::DatabaseError;   \
  }

PGFAST_DATABASE_ERROR_CLASS(ConnectionError);               // 08
PGFAST_DATABASE_ERROR_CLASS(FeatureNotSupportedError);      // 0A
PGFAST_DATABASE_ERROR_CLASS(DataError);                     // 22
PGFAST_DATABASE_ERROR_CLASS(IntegrityError);                // 23
PGFAST_DATABASE_ERROR_CLASS(InvalidTransactionStateError);  // 25
PGFAST_DATABASE_ERROR_CLASS(AuthorizationError);            // 28
PGFAST_DATABASE_ERROR_CLASS(TransactionRollbackError);      // 40
PGFAST_DATABASE_ERROR_CLASS(SyntaxOrAccessError);           // 42
PGFAST_DATABASE_ERROR_CLASS(InsufficientResourcesError);    // 53
PGFAST_DATABASE_ERROR_CLASS(ProgramLimitError);             // 54
PGFAST_DATABASE_ERROR_CLASS(ObjectStateError);              // 55
PGFAST_DATABASE_ERROR_CLASS(OperatorInterventionError);     // 57
PGFAST_DATABASE_ERROR_CLASS(SystemError);                   // 58
PGFAST_DATABASE_ERROR_CLASS(ConfigFileError);               // F0
PGFAST_DATABASE_ERROR_CLASS(PlpgsqlError);                  // P0
PGFAST_DATABASE_ERROR_CLASS(InternalError);                 // XX

#undef PGFAST_DATABASE_ERROR_CLASS

// SQLSTATEs the client assigns itself.
inline constexpr char kSqlstateConnectionFailure[] = "08006";
inline constexpr char kSqlstateUnableToConnect[] = "08001";

// Throws the DatabaseError subclass for sqlstate's class (DatabaseError itself for classes
// without one).
[[noreturn]] void throw_database_error(std::string sqlstate, std::string message,
                                       std::string detail = {}, std::string hint = {});

// The same exception, not thrown: for handing across threads or storing.
std::exception_ptr make_database_error(std::string sqlstate, std::string message,
                                       std::string detail = {}, std::string hint = {});

}  // namespace pgfast
