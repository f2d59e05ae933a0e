#include "pgfast/db/connection.hpp"

#include <libpq-fe.h>

#include <cstdio>
#include <cstring>
#include <limits>
#include <utility>
#include <vector>

#include "pgfast/errors.hpp"
#include "db/statement_cache.hpp"
#include "thread_rng.hpp"

namespace pgfast {

namespace {

// libpq prints NOTICE/WARNING messages to stderr by default; a library must not write to the
// application's stderr, so they are dropped.
void ignore_notice(void*, const PGresult*) {}

std::string trimmed(const char* text) {
  std::string s = text == nullptr ? "" : text;
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\t')) s.pop_back();
  return s;
}

std::string field(const PGresult* r, int code) {
  const char* value = r == nullptr ? nullptr : PQresultErrorField(r, code);
  return value == nullptr ? std::string() : std::string(value);
}

bool succeeded(const PGresult* r) {
  if (r == nullptr) return false;
  const ExecStatusType s = PQresultStatus(r);
  return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK || s == PGRES_EMPTY_QUERY;
}

std::vector<const char*> param_pointers(const Params& params) {
  if (params.size() > 65535) {
    throw ClientError("pgfast: " + std::to_string(params.size()) +
                      " parameters given; PostgreSQL accepts at most 65535");
  }
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const ParamValue& p : params) values.push_back(p ? p->c_str() : nullptr);
  return values;
}

constexpr char kStalePlanMessage[] = "cached plan must not change result type";

constexpr char kLostStatementHint[] =
    "pgfast's statement cache (DATABASE_STATEMENT_CACHE=on) needs a server session of its own; "
    "behind a transaction-mode pooler such as PgBouncer, set it to auto or off "
    "(DatabaseOptions::statement_cache)";

// "pgfast_<12 hex digits>_": statement names no other connection uses, so that behind a pooler a
// statement prepared by another client on the same server session is never found under our name.
std::string statement_prefix() {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "pgfast_%012llx_",
                static_cast<unsigned long long>(detail::thread_rng()() & 0xffffffffffffULL));
  return buffer;
}

}  // namespace

namespace {
ConnectionOptions options_for(const std::string& url) {
  ConnectionOptions options;
  options.url = url;
  return options;
}
}  // namespace

Connection::Connection(const std::string& url) : Connection(options_for(url)) {}

Connection::Connection(const ConnectionOptions& options)
    : statements_(std::make_unique<StatementCache>(options.statement_cache_capacity)),
      statement_cache_mode_(options.statement_cache),
      statement_prefix_(statement_prefix()) {
  // Entries before "dbname" may be overridden by the URL's own parameters, entries after it
  // override the URL (libpq processes the arrays in order).
  std::vector<const char*> keys;
  std::vector<const char*> values;
  const std::string timeout = std::to_string(options.connect_timeout.count());
  if (options.connect_timeout.count() > 0) {
    keys.push_back("connect_timeout");
    values.push_back(timeout.c_str());
  }
  keys.push_back("dbname");
  values.push_back(options.url.c_str());
  if (!options.application_name.empty()) {
    keys.push_back("application_name");
    values.push_back(options.application_name.c_str());
  }
  keys.push_back("fallback_application_name");
  values.push_back("pgfast");
  keys.push_back(nullptr);
  values.push_back(nullptr);

  conn_ = PQconnectdbParams(keys.data(), values.data(), /*expand_dbname=*/1);
  if (conn_ == nullptr) {
    throw_database_error(kSqlstateUnableToConnect, "could not connect: out of memory");
  }
  if (PQstatus(conn_) != CONNECTION_OK) {
    std::string message = "could not connect to PostgreSQL: " + trimmed(PQerrorMessage(conn_));
    PQfinish(conn_);
    conn_ = nullptr;
    throw_database_error(kSqlstateUnableToConnect, std::move(message));
  }
  PQsetNoticeReceiver(conn_, ignore_notice, nullptr);
  created_at_ = std::chrono::steady_clock::now();
}

Connection::~Connection() {
  if (conn_ != nullptr) PQfinish(conn_);
}

Result Connection::execute(std::string_view sql, const Params& params) {
  const std::string text(sql);
  const std::vector<const char*> values = param_pointers(params);
  return check(PQexecParams(conn_, text.c_str(), static_cast<int>(values.size()), nullptr,
                            values.data(), nullptr, nullptr, 0),
               text);
}

Result Connection::execute_script(std::string_view sql) {
  const std::string text(sql);
  return check(PQexec(conn_, text.c_str()), text);
}

Result Connection::execute_prepared(std::string_view sql, const Params& params) {
  const std::string text(sql);
  const std::vector<const char*> values = param_pointers(params);
  const int n = static_cast<int>(values.size());
  if (!named_statements()) {
    // The unnamed statement, parsed, bound and run in one message batch (a pooler keeps the batch
    // on one server session; a separate unnamed PREPARE could land on another).
    return check(PQexecParams(conn_, text.c_str(), n, nullptr, values.data(), nullptr, nullptr, 0),
                 text);
  }
  flush_deallocations();
  for (int attempt = 0;; ++attempt) {
    const std::string name = prepare(text);
    PGresult* r = PQexecPrepared(conn_, name.c_str(), n, values.data(), nullptr, nullptr, 0);
    if (succeeded(r)) return Result(r);

    const std::string state = field(r, PG_DIAG_SQLSTATE);
    const bool lost = state == "26000";
    const bool stale_plan =
        state == "0A000" &&
        std::strstr(field(r, PG_DIAG_MESSAGE_PRIMARY).c_str(), kStalePlanMessage) != nullptr;
    if (lost) {
      // Whatever removed this statement (DISCARD ALL, DEALLOCATE ALL) removed the others too.
      statements_->clear();
      pending_deallocations_.clear();
    } else if (stale_plan) {
      statements_->erase(text);
      pending_deallocations_.push_back(name);
      flush_deallocations();
    }
    if ((lost || stale_plan) && attempt == 0 && transaction_status() == TransactionStatus::idle) {
      PQclear(r);
      continue;
    }
    if (lost && statement_cache_mode_ == StatementCacheMode::on) {
      throw_error(r, text, kLostStatementHint);
    }
    return check(r, text);
  }
}

bool Connection::named_statements() {
  if (statements_->capacity() == 0) return false;
  switch (statement_cache_mode_) {
    case StatementCacheMode::on:
      return true;
    case StatementCacheMode::off:
      return false;
    case StatementCacheMode::automatic:
      break;
  }
  if (through_pooler_) return !*through_pooler_;
  // The question would fail in an aborted transaction, as the statement will: not decided yet.
  if (transaction_status() == TransactionStatus::in_error) return false;
  return !through_pooler();
}

bool Connection::through_pooler() {
  if (!through_pooler_) {
    const Result r = execute("SELECT pg_catalog.pg_backend_pid()");
    through_pooler_ = r.as<int>(0, 0) != backend_pid();
  }
  return *through_pooler_;
}

const std::string& Connection::prepare(const std::string& sql) {
  if (const std::string* name = statements_->find(sql)) return *name;
  std::string name = statement_prefix_ + std::to_string(next_statement_id_++);
  check(PQprepare(conn_, name.c_str(), sql.c_str(), 0, nullptr), sql);
  std::optional<std::string> evicted = statements_->insert(sql, name);
  if (evicted) {
    pending_deallocations_.push_back(std::move(*evicted));
    flush_deallocations();
  }
  return *statements_->find(sql);
}

void Connection::flush_deallocations() noexcept {
  if (pending_deallocations_.empty() || transaction_status() != TransactionStatus::idle) return;
  for (const std::string& name : pending_deallocations_) deallocate(name);
  pending_deallocations_.clear();
}

void Connection::deallocate(const std::string& name) noexcept {
  // Outside a transaction only (see pending_deallocations_), so a failure costs nothing.
  const std::string sql = "DEALLOCATE " + name;
  PQclear(PQexec(conn_, sql.c_str()));
}

Result Connection::check(PGresult* r, std::string_view statement) {
  if (succeeded(r)) return Result(r);
  if (r != nullptr) {
    const ExecStatusType s = PQresultStatus(r);
    if (s == PGRES_COPY_IN || s == PGRES_COPY_OUT || s == PGRES_COPY_BOTH) {
      PQclear(r);
      abandon_copy(s);
      throw ClientError(
          "pgfast: COPY is not supported by execute(); the COPY was aborted (use BulkWriter)");
    }
  }
  throw_error(r, statement);
}

void Connection::abandon_copy(int status) noexcept {
  if (status == PGRES_COPY_OUT) {
    char* buffer = nullptr;
    while (PQgetCopyData(conn_, &buffer, 0) > 0) PQfreemem(buffer);
  } else {
    PQputCopyEnd(conn_, "pgfast: COPY is not supported by execute()");
  }
  while (PGresult* r = PQgetResult(conn_)) PQclear(r);
}

void Connection::throw_error(PGresult* r, std::string_view statement) {
  throw_error(r, statement, {});
}

void Connection::throw_error(PGresult* r, std::string_view statement, std::string_view hint) {
  const Result owned(r);
  DatabaseErrorInfo info;
  info.sqlstate = field(r, PG_DIAG_SQLSTATE);
  info.message = field(r, PG_DIAG_MESSAGE_PRIMARY);
  info.detail = field(r, PG_DIAG_MESSAGE_DETAIL);
  info.hint = field(r, PG_DIAG_MESSAGE_HINT);
  info.context = field(r, PG_DIAG_CONTEXT);
  info.statement = std::string(statement);
  info.full_message = trimmed(r != nullptr ? PQresultErrorMessage(r) : PQerrorMessage(conn_));
  if (info.hint.empty() && !hint.empty()) {
    info.hint = std::string(hint);
    info.full_message += "\nHINT:  " + info.hint;
  }

  if (broken()) {
    // The server may have said why (e.g. 57P01 "terminating connection due to administrator
    // command") before closing; either way the caller's problem is the lost connection.
    std::string message = trimmed(PQerrorMessage(conn_));
    if (message.empty()) {
      message = info.message.empty() ? "connection to the server was lost" : info.message;
    }
    if (info.sqlstate.compare(0, 2, "08") != 0) {
      if (!info.sqlstate.empty()) message += " (server SQLSTATE " + info.sqlstate + ")";
      info.sqlstate = kSqlstateConnectionFailure;
    }
    info.full_message = message;  // libpq's whole story: the server's last words and the loss
    info.message = std::move(message);
    throw_database_error(std::move(info));
  }
  if (info.sqlstate.empty()) {
    // A client-side failure reported by libpq (no SQLSTATE), e.g. a command already in progress.
    const std::string& message = info.full_message;
    throw ClientError("pgfast: " + (message.empty() ? std::string("libpq call failed") : message));
  }
  if (info.message.empty()) info.message = info.full_message;
  throw_database_error(std::move(info));
}

bool Connection::ping() noexcept {
  if (!usable()) return false;
  PGresult* r = PQexec(conn_, "");
  const bool ok = r != nullptr && PQresultStatus(r) == PGRES_EMPTY_QUERY;
  PQclear(r);
  return ok && PQstatus(conn_) == CONNECTION_OK;
}

bool Connection::usable() const noexcept {
  if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) return false;
  const TransactionStatus s = transaction_status();
  return s != TransactionStatus::active && s != TransactionStatus::unknown;
}

bool Connection::broken() const noexcept {
  return conn_ == nullptr || PQstatus(conn_) == CONNECTION_BAD;
}

TransactionStatus Connection::transaction_status() const noexcept {
  if (conn_ == nullptr) return TransactionStatus::unknown;
  switch (PQtransactionStatus(conn_)) {
    case PQTRANS_IDLE:
      return TransactionStatus::idle;
    case PQTRANS_ACTIVE:
      return TransactionStatus::active;
    case PQTRANS_INTRANS:
      return TransactionStatus::in_transaction;
    case PQTRANS_INERROR:
      return TransactionStatus::in_error;
    case PQTRANS_UNKNOWN:
      break;
  }
  return TransactionStatus::unknown;
}

int Connection::backend_pid() const noexcept {
  return conn_ == nullptr ? 0 : PQbackendPID(conn_);
}

int Connection::server_version() const noexcept {
  return conn_ == nullptr ? 0 : PQserverVersion(conn_);
}

std::size_t Connection::prepared_statement_count() const noexcept {
  return statements_->size();
}

void Connection::forget_prepared_statements() noexcept {
  statements_->clear();
  pending_deallocations_.clear();
}

// --- row streaming (single-row mode) --------------------------------------------------------

void Connection::send_single_row_query(std::string_view sql, const Params& params) {
  streaming_statement_ = std::string(sql);  // attached to an error raised mid-stream
  const std::vector<const char*> values = param_pointers(params);
  if (PQsendQueryParams(conn_, streaming_statement_.c_str(), static_cast<int>(values.size()),
                        nullptr, values.data(), nullptr, nullptr, 0) == 0) {
    throw_error(nullptr, streaming_statement_);
  }
  if (PQsetSingleRowMode(conn_) == 0) {
    cancel_and_drain();
    throw ClientError("pgfast: libpq refused single-row mode");
  }
}

Result Connection::next_streamed_row() {
  PGresult* failure = nullptr;
  while (PGresult* r = PQgetResult(conn_)) {
    const ExecStatusType status = PQresultStatus(r);
    if (status == PGRES_SINGLE_TUPLE && failure == nullptr) return Result(r);
    if (status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH) {
      PQclear(r);
      abandon_copy(status);
      throw ClientError(
          "pgfast: COPY is not supported by stream(); the COPY was aborted (use BulkWriter)");
    }
    if (succeeded(r) || failure != nullptr) {
      PQclear(r);  // the end of the rows (TUPLES_OK with none) or a command's completion
    } else {
      failure = r;  // thrown once the connection is drained, so it is usable afterwards
    }
  }
  if (failure != nullptr) throw_error(failure, streaming_statement_);
  return Result();
}

void Connection::cancel_and_drain() noexcept {
  // Without the cancel, draining would read every remaining row of a big result.
  if (PGcancel* cancel = PQgetCancel(conn_)) {
    char error[256];
    PQcancel(cancel, error, sizeof error);
    PQfreeCancel(cancel);
  }
  while (PGresult* r = PQgetResult(conn_)) PQclear(r);
}

}  // namespace pgfast
