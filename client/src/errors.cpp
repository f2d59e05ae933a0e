#include "pgfast/errors.hpp"

#include <utility>

namespace pgfast {

namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// Lines trimmed and empty ones dropped; an indented line starting in lower case continues the
// sentence before it (libpq wraps its messages with "\n\t"), so it joins with " ", any other
// with "; ".
std::string one_line(const std::string& text) {
  if (text.find_first_of("\r\n") == std::string::npos) return text;
  std::string out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::size_t first = start;
    std::size_t last = end;
    while (first < last && is_blank(text[first])) ++first;
    while (last > first && is_blank(text[last - 1])) --last;
    if (last > first) {
      const bool continuation = first > start && text[first] >= 'a' && text[first] <= 'z';
      if (!out.empty()) out += continuation ? " " : "; ";
      out.append(text, first, last - first);
    }
    start = end + 1;
  }
  return out;
}

std::string pool_timeout_message(int pool_size, int max_overflow,
                                 std::chrono::milliseconds timeout) {
  return "connection pool exhausted: all " + std::to_string(pool_size + max_overflow) +
         " connections (pool_size " + std::to_string(pool_size) + " + max_overflow " +
         std::to_string(max_overflow) + ") are in use and none became free within the " +
         "acquire timeout of " + std::to_string(timeout.count()) + " ms";
}

// What libpq's PQresultErrorMessage would have said, for errors built without one.
std::string composed_full_message(const DatabaseErrorInfo& info) {
  std::string text = "ERROR:  " + info.message;
  if (!info.detail.empty()) text += "\nDETAIL:  " + info.detail;
  if (!info.hint.empty()) text += "\nHINT:  " + info.hint;
  if (!info.context.empty()) text += "\nCONTEXT:  " + info.context;
  return text;
}

DatabaseErrorInfo completed(DatabaseErrorInfo info) {
  if (info.full_message.empty()) info.full_message = composed_full_message(info);
  return info;
}

template <class E>
struct Tag {
  using type = E;
};

// Calls f(Tag<E>{}) with E the exception class for the exact SQLSTATE, else for its class.
template <class F>
void with_error_type(const std::string& sqlstate, F&& f) {
  if (sqlstate == "22P02") return f(Tag<InvalidTextRepresentationError>{});
  if (sqlstate == "22003") return f(Tag<NumericValueOutOfRangeError>{});
  if (sqlstate == "23502") return f(Tag<NotNullViolationError>{});
  if (sqlstate == "23503") return f(Tag<ForeignKeyViolationError>{});
  if (sqlstate == "23505") return f(Tag<UniqueViolationError>{});
  if (sqlstate == "23514") return f(Tag<CheckViolationError>{});
  if (sqlstate == "23P01") return f(Tag<ExclusionViolationError>{});
  if (sqlstate == "25006") return f(Tag<ReadOnlySqlTransactionError>{});
  if (sqlstate == "40001") return f(Tag<SerializationFailureError>{});
  if (sqlstate == "40P01") return f(Tag<DeadlockDetectedError>{});
  if (sqlstate == "42501") return f(Tag<InsufficientPrivilegeError>{});
  if (sqlstate == "42703") return f(Tag<UndefinedColumnError>{});
  if (sqlstate == "42P01") return f(Tag<UndefinedTableError>{});
  if (sqlstate == "55P03") return f(Tag<LockNotAvailableError>{});
  if (sqlstate == "57014") return f(Tag<QueryCanceledError>{});
  if (sqlstate == "57P01") return f(Tag<AdminShutdownError>{});

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

ClientError::ClientError(const std::string& message) : std::runtime_error(one_line(message)) {}

ClientError::ClientError(const char* message)
    : ClientError(std::string(message == nullptr ? "" : message)) {}

PoolTimeoutError::PoolTimeoutError(int pool_size, int max_overflow,
                                   std::chrono::milliseconds timeout)
    : ClientError(pool_timeout_message(pool_size, max_overflow, timeout)),
      pool_size_(pool_size),
      max_overflow_(max_overflow),
      timeout_(timeout) {}

DatabaseError::DatabaseError(DatabaseErrorInfo info)
    : ClientError(info.message), info_(completed(std::move(info))) {}

DatabaseError::DatabaseError(std::string sqlstate, const std::string& message, std::string detail,
                             std::string hint)
    : DatabaseError(DatabaseErrorInfo{
          std::move(sqlstate), message, std::move(detail), std::move(hint), {}, {}, {}, {}, {}}) {}

void throw_database_error(DatabaseErrorInfo info) {
  std::rethrow_exception(make_database_error(std::move(info)));
}

void throw_database_error(std::string sqlstate, std::string message, std::string detail,
                          std::string hint) {
  std::rethrow_exception(make_database_error(std::move(sqlstate), std::move(message),
                                             std::move(detail), std::move(hint)));
}

std::exception_ptr make_database_error(DatabaseErrorInfo info) {
  std::exception_ptr result;
  const std::string sqlstate = info.sqlstate;
  with_error_type(sqlstate, [&](auto tag) {
    using E = typename decltype(tag)::type;
    result = std::make_exception_ptr(E(std::move(info)));
  });
  return result;
}

std::exception_ptr make_database_error(std::string sqlstate, std::string message,
                                       std::string detail, std::string hint) {
  return make_database_error(DatabaseErrorInfo{std::move(sqlstate),
                                               std::move(message),
                                               std::move(detail),
                                               std::move(hint),
                                               {},
                                               {},
                                               {},
                                               {},
                                               {}});
}

RedisReplyError::RedisReplyError(const std::string& reply_text)
    : RedisError(reply_text), code_(reply_text.substr(0, reply_text.find(' '))) {}

}  // namespace pgfast
