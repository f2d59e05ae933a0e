// The DatabaseError factory: one exception type per exact SQLSTATE or SQLSTATE class, fields
// preserved, what() one line; the Redis hierarchy; RetryOptions.
#include "pgfast/errors.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <type_traits>
#include <typeindex>
#include <typeinfo>
#include <vector>

#include "pgfast/db/retry.hpp"

namespace {

using namespace pgfast;

// The dynamic type of what throw_database_error throws for `sqlstate`.
std::type_index thrown_type(const std::string& sqlstate) {
  try {
    throw_database_error(sqlstate, "message");
  } catch (const DatabaseError& e) {
    return typeid(e);
  }
  return typeid(void);
}

struct Mapping {
  const char* sqlstate;
  std::type_index type;
};

TEST(Errors, FactoryMapsEachSqlstateClassToItsType) {
  const std::vector<Mapping> mappings = {
      {"08006", typeid(ConnectionError)},
      {"08001", typeid(ConnectionError)},
      {"0A000", typeid(FeatureNotSupportedError)},
      {"22012", typeid(DataError)},
      {"23000", typeid(IntegrityError)},
      {"23001", typeid(IntegrityError)},
      {"25P02", typeid(InvalidTransactionStateError)},
      {"28P01", typeid(AuthorizationError)},
      {"40000", typeid(TransactionRollbackError)},
      {"40003", typeid(TransactionRollbackError)},
      {"42601", typeid(SyntaxOrAccessError)},
      {"42883", typeid(SyntaxOrAccessError)},
      {"53300", typeid(InsufficientResourcesError)},
      {"54000", typeid(ProgramLimitError)},
      {"55006", typeid(ObjectStateError)},
      {"57P02", typeid(OperatorInterventionError)},
      {"58030", typeid(SystemError)},
      {"F0000", typeid(ConfigFileError)},
      {"P0001", typeid(PlpgsqlError)},
      {"XX000", typeid(InternalError)},
  };
  for (const Mapping& m : mappings) {
    EXPECT_EQ(thrown_type(m.sqlstate), m.type) << m.sqlstate;
  }
}

TEST(Errors, FactoryMapsExactSqlstatesToTheirOwnTypeFirst) {
  const std::vector<Mapping> mappings = {
      {"22P02", typeid(InvalidTextRepresentationError)},
      {"22003", typeid(NumericValueOutOfRangeError)},
      {"23502", typeid(NotNullViolationError)},
      {"23503", typeid(ForeignKeyViolationError)},
      {"23505", typeid(UniqueViolationError)},
      {"23514", typeid(CheckViolationError)},
      {"23P01", typeid(ExclusionViolationError)},
      {"25006", typeid(ReadOnlySqlTransactionError)},
      {"40001", typeid(SerializationFailureError)},
      {"40P01", typeid(DeadlockDetectedError)},
      {"42501", typeid(InsufficientPrivilegeError)},
      {"42703", typeid(UndefinedColumnError)},
      {"42P01", typeid(UndefinedTableError)},
      {"55P03", typeid(LockNotAvailableError)},
      {"57014", typeid(QueryCanceledError)},
      {"57P01", typeid(AdminShutdownError)},
  };
  for (const Mapping& m : mappings) {
    EXPECT_EQ(thrown_type(m.sqlstate), m.type) << m.sqlstate;
  }
}

// Each exact-code type is caught by its class's type, so code written against the class level
// keeps working.
TEST(Errors, ExactSqlstateTypesDeriveFromTheirClassType) {
  static_assert(std::is_base_of_v<DataError, InvalidTextRepresentationError>);
  static_assert(std::is_base_of_v<DataError, NumericValueOutOfRangeError>);
  static_assert(std::is_base_of_v<IntegrityError, NotNullViolationError>);
  static_assert(std::is_base_of_v<IntegrityError, ForeignKeyViolationError>);
  static_assert(std::is_base_of_v<IntegrityError, UniqueViolationError>);
  static_assert(std::is_base_of_v<IntegrityError, CheckViolationError>);
  static_assert(std::is_base_of_v<IntegrityError, ExclusionViolationError>);
  static_assert(std::is_base_of_v<InvalidTransactionStateError, ReadOnlySqlTransactionError>);
  static_assert(std::is_base_of_v<TransactionRollbackError, SerializationFailureError>);
  static_assert(std::is_base_of_v<TransactionRollbackError, DeadlockDetectedError>);
  static_assert(std::is_base_of_v<SyntaxOrAccessError, InsufficientPrivilegeError>);
  static_assert(std::is_base_of_v<SyntaxOrAccessError, UndefinedColumnError>);
  static_assert(std::is_base_of_v<SyntaxOrAccessError, UndefinedTableError>);
  static_assert(std::is_base_of_v<ObjectStateError, LockNotAvailableError>);
  static_assert(std::is_base_of_v<OperatorInterventionError, QueryCanceledError>);
  static_assert(std::is_base_of_v<OperatorInterventionError, AdminShutdownError>);
  try {
    throw_database_error("23505", "duplicate key value violates unique constraint \"t_pkey\"");
    FAIL() << "nothing thrown";
  } catch (const IntegrityError& e) {
    EXPECT_EQ(e.sqlstate(), "23505");
    EXPECT_NE(dynamic_cast<const UniqueViolationError*>(&e), nullptr);
  }
  EXPECT_THROW(throw_database_error("40P01", "deadlock detected"), TransactionRollbackError);
  EXPECT_THROW(throw_database_error("57014", "canceling statement"), OperatorInterventionError);
}

TEST(Errors, UnknownClassesBecomeDatabaseError) {
  for (const char* sqlstate : {"26000", "2BP01", "3D000", "HV000", "99999", "", "4"}) {
    EXPECT_EQ(thrown_type(sqlstate), std::type_index(typeid(DatabaseError))) << sqlstate;
  }
}

TEST(Errors, FieldsArePreserved) {
  try {
    throw_database_error("23505", "duplicate key value violates unique constraint \"t_pkey\"",
                         "Key (id)=(1) already exists.", "Use another key.");
    FAIL() << "nothing thrown";
  } catch (const IntegrityError& e) {
    EXPECT_EQ(e.sqlstate(), "23505");
    EXPECT_EQ(e.sqlstate_class(), "23");
    EXPECT_STREQ(e.what(), "duplicate key value violates unique constraint \"t_pkey\"");
    EXPECT_EQ(e.detail(), "Key (id)=(1) already exists.");
    EXPECT_EQ(e.hint(), "Use another key.");
    EXPECT_EQ(e.statement(), "");
    EXPECT_EQ(e.context(), "");
  }
}

TEST(Errors, InfoFieldsArePreservedAndWhatIsThePrimaryMessageOnOneLine) {
  DatabaseErrorInfo info;
  info.sqlstate = "P0001";
  info.message = "custom failure";
  info.detail = "the detail";
  info.hint = "the hint";
  info.context = "PL/pgSQL function f() line 3 at RAISE\nSQL statement \"SELECT f()\"";
  info.statement = "SELECT f()";
  info.full_message =
      "ERROR:  custom failure\nDETAIL:  the detail\nHINT:  the hint\nCONTEXT:  PL/pgSQL ...";
  try {
    throw_database_error(info);
    FAIL() << "nothing thrown";
  } catch (const PlpgsqlError& e) {
    EXPECT_STREQ(e.what(), "custom failure");
    EXPECT_EQ(e.sqlstate(), "P0001");
    EXPECT_EQ(e.detail(), "the detail");
    EXPECT_EQ(e.hint(), "the hint");
    EXPECT_EQ(e.context(), info.context);
    EXPECT_EQ(e.statement(), "SELECT f()");
    EXPECT_EQ(e.full_message(), info.full_message);
    EXPECT_EQ(e.info().statement, "SELECT f()");
  }
}

TEST(Errors, FullMessageIsComposedWhenNotGiven) {
  DatabaseErrorInfo info;
  info.sqlstate = "23505";
  info.message = "duplicate key";
  info.detail = "Key (id)=(1) already exists.";
  info.context = "SQL function \"f\"";
  const DatabaseError e(info);
  EXPECT_EQ(e.full_message(),
            "ERROR:  duplicate key\nDETAIL:  Key (id)=(1) already exists.\n"
            "CONTEXT:  SQL function \"f\"");
  const DatabaseError plain("22012", "division by zero");
  EXPECT_EQ(plain.full_message(), "ERROR:  division by zero");
}

// libpq's own messages (a failed connect, a lost connection) span lines; what() never does.
TEST(Errors, WhatIsAlwaysOneLine) {
  const std::string refused =
      "connection to server at \"127.0.0.1\", port 1 failed: Connection refused\n"
      "\tIs the server running on that host and accepting TCP/IP connections?\n";
  const std::string lost =
      "server closed the connection unexpectedly\n\tThis probably means the server terminated "
      "abnormally\n\tbefore or while processing the request.\n";
  try {
    throw_database_error(kSqlstateUnableToConnect, refused);
  } catch (const ConnectionError& e) {
    EXPECT_STREQ(e.what(),
                 "connection to server at \"127.0.0.1\", port 1 failed: Connection refused; Is "
                 "the server running on that host and accepting TCP/IP connections?");
    EXPECT_EQ(e.full_message(), "ERROR:  " + refused);
  }
  EXPECT_STREQ(ClientError(lost).what(),
               "server closed the connection unexpectedly; This probably means the server "
               "terminated abnormally before or while processing the request.");
  EXPECT_STREQ(RedisReplyError("ERR one\r\ntwo").what(), "ERR one; two");
  EXPECT_STREQ(UsageError("\n\n  x  \n").what(), "x");
  EXPECT_STREQ(ClientError("single line, untouched  ").what(), "single line, untouched  ");
}

TEST(Errors, EverySubclassIsCatchableAsDatabaseErrorAndClientError) {
  EXPECT_THROW(throw_database_error("22012", "division by zero"), DatabaseError);
  EXPECT_THROW(throw_database_error("22012", "division by zero"), ClientError);
  EXPECT_THROW(throw_database_error("22012", "division by zero"), std::runtime_error);
  EXPECT_THROW(throw_database_error("40001", "could not serialize"), TransactionRollbackError);
}

TEST(Errors, MakeDatabaseErrorHasTheSameTypeWithoutThrowing) {
  const std::exception_ptr p =
      make_database_error("42P01", "relation \"x\" does not exist", "", "create it first");
  ASSERT_TRUE(p);
  try {
    std::rethrow_exception(p);
  } catch (const SyntaxOrAccessError& e) {
    EXPECT_EQ(e.sqlstate(), "42P01");
    EXPECT_EQ(e.hint(), "create it first");
  } catch (...) {
    FAIL() << "wrong exception type";
  }
  try {
    std::rethrow_exception(make_database_error("12345", "odd"));
  } catch (const DatabaseError& e) {
    EXPECT_EQ(std::type_index(typeid(e)), std::type_index(typeid(DatabaseError)));
    EXPECT_EQ(e.sqlstate_class(), "12");
  }
}

TEST(Errors, PoolTimeoutErrorDescribesThePool) {
  const PoolTimeoutError e(5, 3, std::chrono::milliseconds(200));
  const std::string message = e.what();
  EXPECT_NE(message.find("pool_size 5"), std::string::npos) << message;
  EXPECT_NE(message.find("max_overflow 3"), std::string::npos) << message;
  EXPECT_NE(message.find("200 ms"), std::string::npos) << message;
  EXPECT_EQ(e.pool_size(), 5);
  EXPECT_EQ(e.max_overflow(), 3);
  EXPECT_EQ(e.timeout(), std::chrono::milliseconds(200));
  const ClientError& base = e;
  EXPECT_EQ(std::string(base.what()), message);
}

TEST(Errors, ConfigurationErrorIsNotADatabaseError) {
  try {
    throw ConfigurationError("X: bad");
  } catch (const DatabaseError&) {
    FAIL() << "caught as DatabaseError";
  } catch (const ClientError& e) {
    EXPECT_STREQ(e.what(), "X: bad");
  }
}

TEST(Errors, RedisHierarchy) {
  static_assert(std::is_base_of_v<ClientError, RedisError>);
  static_assert(std::is_base_of_v<RedisError, RedisUnavailableError>);
  static_assert(std::is_base_of_v<RedisUnavailableError, RedisTimeoutError>);
  static_assert(std::is_base_of_v<RedisUnavailableError, RedisConnectionRefusedError>);
  static_assert(std::is_base_of_v<RedisUnavailableError, RedisConnectionClosedError>);
  static_assert(std::is_base_of_v<RedisError, RedisReplyError>);
  static_assert(!std::is_base_of_v<RedisUnavailableError, RedisReplyError>);
  const RedisReplyError e("WRONGTYPE Operation against a key holding the wrong kind of value");
  EXPECT_EQ(e.code(), "WRONGTYPE");
  EXPECT_EQ(RedisReplyError("NOSCRIPT").code(), "NOSCRIPT");
}

TEST(RetryOptions, DefaultsAreValid) {
  const RetryOptions o;
  EXPECT_EQ(o.max_attempts, 5);
  EXPECT_EQ(o.base_backoff, std::chrono::milliseconds(10));
  EXPECT_EQ(o.max_backoff, std::chrono::milliseconds(1000));
  EXPECT_NO_THROW(o.validate());
}

TEST(RetryOptions, BackoffDoublesUpToTheMaximum) {
  RetryOptions o;
  o.base_backoff = std::chrono::milliseconds(10);
  o.max_backoff = std::chrono::milliseconds(100);
  const std::vector<long long> expected = {10, 20, 40, 80, 100, 100};
  for (int n = 1; n <= 6; ++n) {
    EXPECT_EQ(o.backoff_ceiling(n).count(), expected[static_cast<std::size_t>(n - 1)]) << n;
  }
  EXPECT_EQ(o.backoff_ceiling(1000000).count(), 100);  // no overflow
  o.base_backoff = std::chrono::milliseconds(0);
  EXPECT_EQ(o.backoff_ceiling(30).count(), 0);
}

TEST(RetryOptions, BadValuesAreConfigurationErrorsNamingTheField) {
  auto message = [](const RetryOptions& o) {
    try {
      o.validate();
    } catch (const ConfigurationError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  RetryOptions o;
  o.max_attempts = 0;
  EXPECT_NE(message(o).find("max_attempts"), std::string::npos) << message(o);
  o = RetryOptions{};
  o.base_backoff = std::chrono::milliseconds(-1);
  EXPECT_NE(message(o).find("base_backoff"), std::string::npos) << message(o);
  o = RetryOptions{};
  o.base_backoff = std::chrono::milliseconds(2000);
  EXPECT_NE(message(o).find("exceeds max_backoff"), std::string::npos) << message(o);
}

}  // namespace
