// pgfast::Connection: one libpq connection with parameterised execution, a per-connection
// prepared-statement cache, row streaming, LISTEN/NOTIFY and the state checks the pool needs.
// Thread safety: none; one thread at a time (the pool hands each connection to one borrower).
// Owns its libpq connection; non-copyable.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pgfast/db/notification.hpp"
#include "pgfast/db/params.hpp"
#include "pgfast/db/result.hpp"
#include "pgfast/db/statement_cache_mode.hpp"

struct pg_conn;  // libpq's PGconn

namespace pgfast {

struct ConnectionOptions {
  // libpq URI ("postgresql://user@host:port/db?...") or keyword/value string.
  std::string url = "postgresql://localhost/postgres";
  // Overrides any application_name in `url` when not empty; otherwise libpq's
  // fallback_application_name "pgfast" applies.
  std::string application_name;
  // Applies unless `url` sets connect_timeout itself.
  std::chrono::seconds connect_timeout{10};
  // Prepared statements kept per connection (least recently used ones are DEALLOCATEd).
  std::size_t statement_cache_capacity = 256;
  // Named statements for execute_prepared(): automatic, on or off (statement_cache_mode.hpp).
  StatementCacheMode statement_cache = StatementCacheMode::automatic;
};

enum class TransactionStatus { idle, active, in_transaction, in_error, unknown };

class Connection {
 public:
  // Connects (blocking). Throws ConnectionError (SQLSTATE 08001) with libpq's message.
  explicit Connection(const ConnectionOptions& options);
  explicit Connection(const std::string& url);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // One statement with $1..$n parameters (extended protocol, unnamed statement). Throws a
  // DatabaseError subclass carrying the server's SQLSTATE, message, detail and hint; a lost
  // connection throws ConnectionError.
  Result execute(std::string_view sql, const Params& params = {});

  // As execute(), through a named prepared statement cached per SQL text. After the server lost
  // the statement (DISCARD ALL, DEALLOCATE, SQLSTATE 26000) or its cached plan was invalidated by
  // a schema change, the statement is prepared again and the call retried once — outside an
  // explicit transaction only, since the failure aborts a transaction. Statement names are unique
  // per connection ("pgfast_<random>_<n>"), so behind a pooler one client's statement is never
  // run by another. Exactly execute() (the unnamed statement) when the options say so: a
  // statement cache capacity of 0, StatementCacheMode::off, or automatic with through_pooler().
  Result execute_prepared(std::string_view sql, const Params& params = {});

  // True when a connection pooler or proxy sits between this connection and the server: the
  // backend PID the connection was given at startup (PQbackendPID, from BackendKeyData) is not the
  // pg_backend_pid() of the server session that answers. PgBouncer, in every pool mode, hands each
  // client a cancel key of its own, so it is always told apart. Asks the server on the first call
  // only (one round trip, also inside a transaction; not in a failed one, which throws like
  // execute()).
  bool through_pooler();

  // Several statements in one simple-protocol round trip, without parameters; returns the
  // result of the last one.
  Result execute_script(std::string_view sql);

  // One statement whose rows are handed to on_row one at a time as they arrive (libpq single-row
  // mode, through a RowStream, pgfast/db/row_stream.hpp): memory stays bounded by one row whatever
  // the result size. The Row is valid during the
  // call only. Returns the number of rows delivered. A server error mid-stream throws the
  // DatabaseError after the rows before it were delivered. If on_row throws, the statement is
  // cancelled, the connection drained (usable again; an open transaction is aborted if the
  // cancel reached the statement before it finished) and the exception propagates.
  std::uint64_t stream(std::string_view sql, const Params& params,
                       const std::function<void(const Row&)>& on_row);
  std::uint64_t stream(std::string_view sql, const std::function<void(const Row&)>& on_row) {
    return stream(sql, {}, on_row);
  }

  // LISTEN / UNLISTEN on `channel` (any text: sent as a quoted identifier, so the name is exact
  // and case-sensitive). An empty channel is a UsageError. Outside a transaction they take
  // effect at once; inside one, at COMMIT (server rule).
  void listen(std::string_view channel);
  void unlisten(std::string_view channel);
  void unlisten_all();
  // LISTEN was sent since the last unlisten_all() outside a transaction (conservative: a LISTEN
  // rolled back still counts). A PooledConnection given back in this state is unlistened first.
  bool listening() const noexcept { return listening_; }
  // The next notification for a channel this connection listens on: one already received (also
  // during other statements) or the first to arrive within `timeout`; std::nullopt when none came.
  // Waits on the socket (no polling); a zero timeout only checks. A lost connection throws
  // ConnectionError.
  std::optional<Notification> wait_for_notification(std::chrono::milliseconds timeout);

  // True when the server answers an empty query. Never throws.
  bool ping() noexcept;

  // PQstatus is CONNECTION_OK and no command is in progress.
  bool usable() const noexcept;
  // PQstatus is CONNECTION_BAD (the connection is gone for good).
  bool broken() const noexcept;
  TransactionStatus transaction_status() const noexcept;

  int backend_pid() const noexcept;
  int server_version() const noexcept;
  std::chrono::steady_clock::time_point created_at() const noexcept { return created_at_; }

  // Statements in this connection's prepared-statement cache.
  std::size_t prepared_statement_count() const noexcept;
  // Forgets the cache without telling the server (use after running DISCARD ALL or DEALLOCATE ALL
  // yourself; the retry above would also recover).
  void forget_prepared_statements() noexcept;

  pg_conn* native_handle() const noexcept { return conn_; }

  // For code that drives libpq directly through native_handle() (e.g. COPY): turns a failed
  // PGresult (taking ownership; nullptr: the connection's last error) into the exception
  // execute() would throw; `statement` becomes DatabaseError::statement().
  [[noreturn]] void throw_error(pg_result* result, std::string_view statement = {});

 private:
  class StatementCache;

  Result check(pg_result* result, std::string_view statement);
  // throw_error(), with `hint` as the error's hint when the server gave none.
  [[noreturn]] void throw_error(pg_result* result, std::string_view statement,
                                std::string_view hint);
  // Whether execute_prepared() uses a named statement (may ask through_pooler()).
  bool named_statements();
  const std::string& prepare(const std::string& sql);
  void deallocate(const std::string& name) noexcept;
  void flush_deallocations() noexcept;
  void abandon_copy(int status) noexcept;
  // Single-row mode, used by RowStream: send, then take rows until an empty Result (the end).
  friend class RowStream;
  void send_single_row_query(std::string_view sql, const Params& params);
  Result next_streamed_row();
  void cancel_and_drain() noexcept;
  std::optional<Notification> next_notification();

  pg_conn* conn_ = nullptr;
  std::chrono::steady_clock::time_point created_at_;
  std::unique_ptr<StatementCache> statements_;
  StatementCacheMode statement_cache_mode_ = StatementCacheMode::automatic;
  std::optional<bool> through_pooler_;  // through_pooler()'s answer, once asked
  std::string statement_prefix_;        // "pgfast_<random>_": unique per connection
  std::uint64_t next_statement_id_ = 1;
  // Evicted statement names waiting for the connection to be outside a transaction: a failing
  // DEALLOCATE inside one would abort the caller's transaction.
  // The SQL of the stream in progress (stream(), RowStream), for its errors' statement().
  std::string streaming_statement_;
  std::vector<std::string> pending_deallocations_;
  bool listening_ = false;
};

}  // namespace pgfast
