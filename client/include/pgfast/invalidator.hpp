// pgfast::Invalidator: turns the database's change notifications (pgfast.notify_changes, DESIGN
// 4.5) into cache invalidations (docs/cache.md).
//
//   pgfast::Invalidator inv(cache, {settings.database_url});
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
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "pgfast/cache.hpp"
#include "pgfast/change_notification.hpp"
#include "pgfast/metrics.hpp"

namespace pgfast {

namespace detail {
class InvalidatorMetrics;
}

struct InvalidatorOptions {
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

class Invalidator {
 public:
  Invalidator(Cache& cache, InvalidatorOptions options);
  ~Invalidator();  // stop()
  Invalidator(const Invalidator&) = delete;
  Invalidator& operator=(const Invalidator&) = delete;

  // A rule: changes to `table` ("name" means "public.name"; quote mixed-case names as
  // PostgreSQL does: "\"My Schema\".\"Orders\"") invalidate these key templates and tag templates,
  // filled from the changed rows' primary-key columns. Add rules before start().
  // Throws KeyTemplateError for a template that does not parse.
  Invalidator& watch(const std::string& table, std::vector<std::string> key_templates,
                     std::vector<std::string> tag_templates = {});

  // Starts the listener thread; returns once it is listening (or throws ConnectionError when
  // the first connect fails within `timeout`; the thread keeps retrying then).
  void start(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  void stop() noexcept;

  // Handles one payload as if it had arrived (also what the listener calls).
  InvalidationEvent handle(const std::string& payload);
  // Invalidates everything the rules cover.
  InvalidationEvent invalidate_all();

  // Called on the listener thread after each event.
  void on_event(std::function<void(const InvalidationEvent&)> callback);
  // Events so far, and waiting for a count of them (tests await "notification processed").
  std::uint64_t events() const;
  bool wait_for_events(std::uint64_t count, std::chrono::milliseconds timeout) const;
  // The last event (default-constructed before the first).
  InvalidationEvent last_event() const;
  // Waits for an event of `kind` with a sequence number above `after`; returns the latest such
  // event, or std::nullopt on timeout.
  std::optional<InvalidationEvent> wait_for(InvalidationEvent::Kind kind, std::uint64_t after,
                                            std::chrono::milliseconds timeout) const;

  // Connections established (1 after start; +1 per reconnect).
  std::uint64_t connects() const;
  // invalidate_all() calls: on reconnects (and on start with invalidate_on_start), retries after
  // a Redis error, and direct calls.
  std::uint64_t resyncs() const;
  // Server PID of the current LISTEN connection (0 while disconnected).
  int backend_pid() const;

 private:
  struct Rule {
    std::string table;
    std::vector<KeyTemplate> keys;
    std::vector<KeyTemplate> tags;
  };

  void run();
  void wake() noexcept;
  void listen_once();
  void publish(InvalidationEvent event);
  InvalidationEvent apply(const ChangeNotification& n);
  void invalidate_rule_all(const Rule& rule, InvalidationEvent& event);

  Cache& cache_;
  InvalidatorOptions options_;
  std::vector<Rule> rules_;

  mutable std::mutex mutex_;
  mutable std::condition_variable cv_;
  std::uint64_t events_ = 0;
  std::uint64_t connects_ = 0;
  std::uint64_t resyncs_ = 0;
  std::shared_ptr<const detail::InvalidatorMetrics> metrics_;  // null: no metrics
  int backend_pid_ = 0;
  std::string last_connect_error_;
  InvalidationEvent last_event_;
  InvalidationEvent last_of_kind_[3];
  // An invalidation hit a Redis error: everything is invalidated again once Redis answers.
  bool resync_pending_ = false;
  std::function<void(const InvalidationEvent&)> callback_;

  std::thread thread_;
  bool stopping_ = false;
  int wake_pipe_[2] = {-1, -1};
};

}  // namespace pgfast
