// pgfast::Invalidator: turns the database's change notifications (pgfast.notify_changes, DESIGN
// 4.5) into cache invalidations (docs/cache.md).
//
//   pgfast::Invalidator inv(cache, {settings.database_url});  // a copy of the Cache handle
//   inv.watch("search_sessions", {"session:{id}", "search:*:{id}"}, {"sessions"});
//   inv.start();
//
// A dedicated libpq connection LISTENs on the channel (a thread of its own). For each message the
// rows' primary-key values fill the key templates and tag templates of the table's rules (a key
// column fills the parameter of the same name): the keys are deleted (UNLINK, or SCAN + UNLINK for
// templates with wildcards) and the tags bumped. A whole-table message ("all": true, e.g.
// TRUNCATE) deletes every key the table's templates can produce and every tag they name.
// Notifications are not durable: after the connection is lost and re-established, everything
// the rules cover is invalidated, because changes committed in between were never heard.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "pgfast/cache/cache.hpp"
#include "pgfast/metrics.hpp"

namespace pgfast {

namespace detail {
class InvalidatorImpl;
}  // namespace detail

namespace testing {
struct InvalidatorAccess;
}  // namespace testing

struct InvalidatorOptions {
  // A direct URL to the server, not one through a pooler such as PgBouncer (see start()).
  std::string database_url = "postgresql://localhost/postgres";
  std::string channel = "pgfast_changes";
  // Reconnect delay after a lost connection: starts at reconnect_min, doubles up to reconnect_max.
  std::chrono::milliseconds reconnect_min{50};
  std::chrono::milliseconds reconnect_max{5000};
  // Also invalidate everything covered on the very first connect (not only on reconnects).
  bool invalidate_on_start = false;
  // Prometheus metrics (docs/metrics.md): null = none; the `invalidator` label value ("" =
  // "default").
  std::shared_ptr<Metrics> metrics;
  std::string metrics_name;
};

struct InvalidationEvent {
  enum class Kind {
    notification,  // a message was handled
    resync,        // (re)connected and listening; everything covered was invalidated if `all`
    error,         // a bad payload, a template error or a lost connection (`error` says which)
  };
  Kind kind = Kind::notification;
  std::string table;  // notification: the table as the trigger named it
  std::string op;
  bool all = false;         // the whole table (or, for resync, everything) was invalidated
  std::size_t keys = 0;     // primary keys in the message
  std::size_t deleted = 0;  // cache keys deleted
  std::size_t tags = 0;     // tags bumped
  bool matched = false;     // a rule covered the table
  std::string error;
  std::uint64_t sequence = 0;  // 1, 2, ... per event
};

// Thread safety: owns its listener thread (move-only; the destructor stops it); its methods may be
// called from any thread.
class Invalidator {
 public:
  // Keeps a copy of the cache handle (sharing the cache with the caller's copies).
  Invalidator(Cache cache, InvalidatorOptions options);
  ~Invalidator();  // stop()
  // A moved-from Invalidator may only be destroyed or assigned to.
  Invalidator(Invalidator&&) noexcept;
  Invalidator& operator=(Invalidator&&) noexcept;

  // A rule: changes to `table` ("name" means "public.name"; quote mixed-case names as
  // PostgreSQL does: "\"My Schema\".\"Orders\"") invalidate these key templates and tag templates,
  // filled from the changed rows' primary-key columns. Add rules before start().
  // Throws KeyTemplateError for a template that does not parse.
  Invalidator& watch(const std::string& table, std::vector<std::string> key_templates,
                     std::vector<std::string> tag_templates = {});

  // Starts the listener thread; returns once it is listening (or throws ConnectionError when
  // the first connect fails within `timeout`; the thread keeps retrying then). LISTEN needs a
  // session of its own: when database_url leads to a connection pooler (PgBouncer, in any pool
  // mode; Connection::through_pooler()), it throws ConfigurationError saying so, and the listener
  // ends (a reconnect that lands on a pooler is an error event and is retried).
  void start(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  void stop() noexcept;

  // Handles one payload as if it had arrived (also what the listener calls).
  InvalidationEvent handle(const std::string& payload);
  // Invalidates everything the rules cover.
  InvalidationEvent invalidate_all();

  // Called on the listener thread after each event (e.g. to wait for an invalidation to land).
  void on_event(std::function<void(const InvalidationEvent&)> callback);
  // Events so far.
  std::uint64_t events() const;
  // The last event (default-constructed before the first).
  InvalidationEvent last_event() const;

  // Connections established (1 after start; +1 per reconnect).
  std::uint64_t connects() const;
  // invalidate_all() calls: on reconnects (and on start with invalidate_on_start), retries after
  // a Redis error, and direct calls.
  std::uint64_t resyncs() const;
  // Server PID of the current LISTEN connection (0 while disconnected).
  int backend_pid() const;

 private:
  friend struct testing::InvalidatorAccess;

  std::unique_ptr<detail::InvalidatorImpl> impl_;
};

}  // namespace pgfast
