// The DatabaseError factory: one exception type per SQLSTATE class, fields preserved.
#include "pgfast/errors.hpp"

#include <gtest/gtest.h>

#include <string>
#include <typeindex>
#include <typeinfo>
#include <vector>

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
      {"22P02", typeid(DataError)},
      {"23505", typeid(IntegrityError)},
      {"23503", typeid(IntegrityError)},
      {"25P02", typeid(InvalidTransactionStateError)},
      {"28P01", typeid(AuthorizationError)},
      {"40001", typeid(TransactionRollbackError)},
      {"40P01", typeid(TransactionRollbackError)},
      {"42601", typeid(SyntaxOrAccessError)},
      {"42P01", typeid(SyntaxOrAccessError)},
      {"53300", typeid(InsufficientResourcesError)},
      {"54000", typeid(ProgramLimitError)},
      {"55P03", typeid(ObjectStateError)},
      {"57014", typeid(OperatorInterventionError)},
      {"57P01", typeid(OperatorInterventionError)},
      {"58030", typeid(SystemError)},
      {"F0000", typeid(ConfigFileError)},
      {"P0001", typeid(PlpgsqlError)},
      {"XX000", typeid(InternalError)},
  };
  for (const Mapping& m : mappings) {
    EXPECT_EQ(thrown_type(m.sqlstate), m.type) << m.sqlstate;
  }
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
  }
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

}  // namespace
