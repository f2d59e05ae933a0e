#include "pgfast/errors.hpp"

#include <utility>

namespace pgfast {

namespace {

std::string pool_timeout_message(int pool_size, int max_overflow,
                                 std::chrono::milliseconds timeout) {
  return "connection pool exhausted: all " + std::to_string(pool_size + max_overflow) +
         " connections (pool_size " + std::to_string(pool_size) + " + max_overflow " +
         std::to_string(max_overflow) + ") are in use and none became free within the " +
         "acquire timeout of " + std::to_string(timeout.count()) + " ms";
}

template <class E>
struct Tag {
  using type = E;
};

// Calls f(Tag<E>{}) with E the exception class for the SQLSTATE's class.
template <class F>
void with_error_type(const std::string& sqlstate, F&& f) {
  const std::string cls = sqlstate.substr(0, 2);
  if (cls == "08") return f(Tag<ConnectionError>{});
  if (cls == "0A") return f(Tag<FeatureNotSupportedError>{});
  if (cls == "22") return f(Tag<DataError>{});
  if (cls == "23") return f(Tag<IntegrityError>{});
  if (cls == "25") return f(Tag<InvalidTransactionStateError>{});
  if (cls == "28") return f(Tag<AuthorizationError>{});
  if (cls == "40") return f(Tag<TransactionRollbackError>{});
  if (cls == "42") return f(Tag<SyntaxOrAccessError>{});
  if (cls == "53") return f(Tag<InsufficientResourcesError>{});
  if (cls == "54") return f(Tag<ProgramLimitError>{});
  if (cls == "55") return f(Tag<ObjectStateError>{});
  if (cls == "57") return f(Tag<OperatorInterventionError>{});
  if (cls == "58") return f(Tag<SystemError>{});
  if (cls == "F0") return f(Tag<ConfigFileError>{});
  if (cls == "P0") return f(Tag<PlpgsqlError>{});
  if (cls == "XX") return f(Tag<InternalError>{});
  return f(Tag<DatabaseError>{});
}

}  // namespace

PoolTimeoutError::PoolTimeoutError(int pool_size, int max_overflow,
                                   std::chrono::milliseconds timeout)
    : ClientError(pool_timeout_message(pool_size, max_overflow, timeout)),
      pool_size_(pool_size),
      max_overflow_(max_overflow),
      timeout_(timeout) {}

DatabaseError::DatabaseError(std::string sqlstate, const std::string& message, std::string detail,
                             std::string hint)
    : ClientError(message),
      sqlstate_(std::move(sqlstate)),
      detail_(std::move(detail)),
      hint_(std::move(hint)) {}

void throw_database_error(std::string sqlstate, std::string message, std::string detail,
                          std::string hint) {
  std::rethrow_exception(make_database_error(std::move(sqlstate), std::move(message),
                                             std::move(detail), std::move(hint)));
}

std::exception_ptr make_database_error(std::string sqlstate, std::string message,
                                       std::string detail, std::string hint) {
  std::exception_ptr result;
  with_error_type(sqlstate, [&](auto tag) {
    using E = typename decltype(tag)::type;
    result = std::make_exception_ptr(
        E(std::move(sqlstate), message, std::move(detail), std::move(hint)));
  });
  return result;
}

}  // namespace pgfast
