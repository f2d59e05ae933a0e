#include "pgfast/cache/invalidator.hpp"

#include <fcntl.h>
#include <libpq-fe.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include "cache/change_notification.hpp"

#include "metrics/metric_families.hpp"
#include "pgfast/db/connection.hpp"
#include "pgfast/errors.hpp"
#include "pgfast/errors.hpp"
#include "pgfast/testing/invalidator_access.hpp"

namespace pgfast {

namespace {

int kind_index(InvalidationEvent::Kind kind) {
  return static_cast<int>(kind);
}

// The listener waits for notifications without a timeout, so a peer that vanished without closing
// the TCP connection (a crashed host, a dropped NAT entry) would look like a quiet channel for
// hours: TCP keepalives make the kernel report it within ~1 minute. Settings in the URL win.
std::string with_keepalives(const std::string& url) {
  if (url.find("keepalives") != std::string::npos) return url;
  if (url.find("://") == std::string::npos) {
    return url + " keepalives=1 keepalives_idle=30 keepalives_interval=10 keepalives_count=3";
  }
  return url + (url.find('?') == std::string::npos ? "?" : "&") +
         "keepalives=1&keepalives_idle=30&keepalives_interval=10&keepalives_count=3";
}

// Why a URL through a pooler is refused (Connection::through_pooler(); docs/scale-out.md,
// PgBouncer).
constexpr char kPoolerRefused[] =
    "pgfast::Invalidator: InvalidatorOptions::database_url leads to a connection pooler, not to a "
    "PostgreSQL session of its own (the backend PID the connection was given at startup is not "
    "the server's pg_backend_pid(), as with PgBouncer). LISTEN needs a session that lasts: "
    "through a transaction pooler the notifications would be silently missed. Give the "
    "Invalidator a direct URL to the PostgreSQL server (the pooler's upstream host and port).";

}  // namespace

namespace detail {

class InvalidatorImpl {
 public:
  InvalidatorImpl(Cache cache, InvalidatorOptions options);
  ~InvalidatorImpl();  // stop()
  InvalidatorImpl(const InvalidatorImpl&) = delete;
  InvalidatorImpl& operator=(const InvalidatorImpl&) = delete;

  void watch(const std::string& table, std::vector<std::string> key_templates,
             std::vector<std::string> tag_templates);
  void start(std::chrono::milliseconds timeout);
  void stop() noexcept;
  InvalidationEvent handle(const std::string& payload);
  InvalidationEvent invalidate_all();
  void on_event(std::function<void(const InvalidationEvent&)> callback);
  std::uint64_t events() const;
  bool wait_for_events(std::uint64_t count, std::chrono::milliseconds timeout) const;
  InvalidationEvent last_event() const;
  std::optional<InvalidationEvent> wait_for(InvalidationEvent::Kind kind, std::uint64_t after,
                                            std::chrono::milliseconds timeout) const;
  std::uint64_t connects() const;
  std::uint64_t resyncs() const;
  int backend_pid() const;

 private:
  struct Rule {
    std::string table;
    std::vector<KeyTemplate> keys;
    std::vector<KeyTemplate> tags;
  };

  void run();
  void wake() noexcept;
  void publish(InvalidationEvent event);
  InvalidationEvent apply(const ChangeNotification& n);
  void invalidate_rule_all(const Rule& rule, InvalidationEvent& event);

  Cache cache_;
  InvalidatorOptions options_;
  std::vector<Rule> rules_;

  mutable std::mutex mutex_;
  mutable std::condition_variable cv_;
  std::uint64_t events_ = 0;
  std::uint64_t connects_ = 0;
  std::uint64_t resyncs_ = 0;
  std::shared_ptr<const InvalidatorMetrics> metrics_;  // null: no metrics
  int backend_pid_ = 0;
  std::string last_connect_error_;
  // Set by the listener when the first connection went through a pooler: start() throws it.
  std::string refused_;
  InvalidationEvent last_event_;
  InvalidationEvent last_of_kind_[3];
  // An invalidation hit a Redis error: everything is invalidated again once Redis answers.
  bool resync_pending_ = false;
  std::function<void(const InvalidationEvent&)> callback_;

  std::thread thread_;
  bool stopping_ = false;
  int wake_pipe_[2] = {-1, -1};
};

InvalidatorImpl::InvalidatorImpl(Cache cache, InvalidatorOptions options)
    : cache_(std::move(cache)),
      options_(std::move(options)),
      metrics_(InvalidatorMetrics::bind(options_.metrics.get(), options_.metrics_name)) {
  if (options_.channel.empty()) throw ConfigurationError("pgfast::Invalidator: empty channel");
  if (options_.reconnect_min.count() <= 0 || options_.reconnect_max < options_.reconnect_min) {
    throw ConfigurationError(
        "pgfast::Invalidator: reconnect_min must be positive and at most reconnect_max");
  }
}

InvalidatorImpl::~InvalidatorImpl() {
  stop();
}

void InvalidatorImpl::watch(const std::string& table, std::vector<std::string> key_templates,
                            std::vector<std::string> tag_templates) {
  Rule rule;
  rule.table = qualified_table_name(table);
  for (auto& t : key_templates) rule.keys.emplace_back(std::move(t));
  for (auto& t : tag_templates) rule.tags.emplace_back(std::move(t));
  std::lock_guard<std::mutex> lock(mutex_);
  rules_.push_back(std::move(rule));
}

void InvalidatorImpl::on_event(std::function<void(const InvalidationEvent&)> callback) {
  std::lock_guard<std::mutex> lock(mutex_);
  callback_ = std::move(callback);
}

void InvalidatorImpl::publish(InvalidationEvent event) {
  std::function<void(const InvalidationEvent&)> callback;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    event.sequence = ++events_;
    last_event_ = event;
    last_of_kind_[kind_index(event.kind)] = event;
    callback = callback_;
  }
  cv_.notify_all();
  if (callback) {
    try {
      callback(event);
    } catch (...) {
      // A throwing callback must not stop the listener.
    }
  }
}

std::uint64_t InvalidatorImpl::events() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return events_;
}

bool InvalidatorImpl::wait_for_events(std::uint64_t count,
                                      std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mutex_);
  return cv_.wait_for(lock, timeout, [&] { return events_ >= count; });
}

InvalidationEvent InvalidatorImpl::last_event() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return last_event_;
}

std::optional<InvalidationEvent> InvalidatorImpl::wait_for(
    InvalidationEvent::Kind kind, std::uint64_t after, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mutex_);
  const auto& slot = last_of_kind_[kind_index(kind)];
  if (!cv_.wait_for(lock, timeout, [&] { return slot.sequence > after; })) return std::nullopt;
  return slot;
}

std::uint64_t InvalidatorImpl::connects() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return connects_;
}

std::uint64_t InvalidatorImpl::resyncs() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return resyncs_;
}

int InvalidatorImpl::backend_pid() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return backend_pid_;
}

// --- invalidation -----------------------------------------------------------------------------

void InvalidatorImpl::invalidate_rule_all(const Rule& rule, InvalidationEvent& event) {
  for (const auto& t : rule.keys) {
    if (t.parameters().empty() && !t.has_wildcards()) {
      event.deleted += cache_.del(t.fill({})) ? 1 : 0;
    } else {
      event.deleted += cache_.delete_pattern(t.match_all_pattern());
    }
  }
  for (const auto& t : rule.tags) {
    if (t.parameters().empty()) {
      cache_.invalidate_tag(t.fill({}));
      ++event.tags;
    } else {
      event.tags += cache_.invalidate_tag_pattern(t.match_all_pattern());
    }
  }
}

InvalidationEvent InvalidatorImpl::apply(const ChangeNotification& n) {
  InvalidationEvent event;
  event.kind = InvalidationEvent::Kind::notification;
  event.table = n.table;
  event.op = n.op;
  event.all = n.all;
  event.keys = n.keys.size();
  const std::uint64_t errors_before = cache_.stats().errors;
  std::vector<Rule> rules;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    rules = rules_;
  }
  bool redis_failed = false;  // a strict-mode Cache throws instead of counting the error
  for (const auto& rule : rules) {
    if (rule.table != n.table) continue;
    event.matched = true;
    if (n.all) {
      try {
        invalidate_rule_all(rule, event);
      } catch (const RedisError&) {
        redis_failed = true;
      }
      continue;
    }
    std::vector<std::string> exact;
    std::vector<std::string> tags;
    for (const auto& key : n.keys) {
      try {
        for (const auto& t : rule.keys) {
          if (t.has_wildcards()) {
            event.deleted += cache_.invalidate(t.text(), key);
          } else {
            exact.push_back(t.fill(key));
          }
        }
        for (const auto& t : rule.tags) tags.push_back(t.fill(key));
      } catch (const KeyTemplateError& e) {
        event.error = e.what();
      }
    }
    try {
      event.deleted += cache_.del(exact);
      cache_.invalidate_tags(tags);
      event.tags += tags.size();
    } catch (const RedisError&) {
      redis_failed = true;
    }
  }
  if (redis_failed || cache_.stats().errors != errors_before) {
    event.error =
        "Redis error during invalidation; everything covered is invalidated again once "
        "Redis answers";
    {
      std::lock_guard<std::mutex> lock(mutex_);
      resync_pending_ = true;
    }
    wake();  // the listener retries on a timer from now on
  }
  return event;
}

InvalidationEvent InvalidatorImpl::handle(const std::string& payload) {
  InvalidationEvent event;
  try {
    event = apply(parse_change_notification(payload));
  } catch (const ClientError& e) {
    event.kind = InvalidationEvent::Kind::error;
    event.error = e.what();
  }
  publish(event);
  return event;
}

InvalidationEvent InvalidatorImpl::invalidate_all() {
  InvalidationEvent event;
  event.kind = InvalidationEvent::Kind::resync;
  event.all = true;
  const std::uint64_t errors_before = cache_.stats().errors;
  std::vector<Rule> rules;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    rules = rules_;
  }
  bool redis_failed = false;
  for (const auto& rule : rules) {
    event.matched = true;
    try {
      invalidate_rule_all(rule, event);
    } catch (const RedisError&) {  // strict mode
      redis_failed = true;
    }
  }
  const bool failed = redis_failed || cache_.stats().errors != errors_before;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    resync_pending_ = failed;
    ++resyncs_;
  }
  if (metrics_) metrics_->resynced();
  if (failed) event.error = "Redis error during invalidation; retrying";
  return event;
}

// --- the listener thread ----------------------------------------------------------------------

void InvalidatorImpl::start(std::chrono::milliseconds timeout) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (thread_.joinable()) {
      if (refused_.empty()) return;
      throw ConfigurationError(refused_);  // a listener refused after an earlier start() timed out
    }
    stopping_ = false;
    refused_.clear();
  }
  if (::pipe(wake_pipe_) != 0) throw ClientError("pgfast::Invalidator: pipe() failed");
  ::fcntl(wake_pipe_[0], F_SETFL, O_NONBLOCK);
  ::fcntl(wake_pipe_[1], F_SETFL, O_NONBLOCK);
  thread_ = std::thread([this] { run(); });
  std::unique_lock<std::mutex> lock(mutex_);
  const bool done = cv_.wait_for(lock, timeout, [&] { return connects_ > 0 || !refused_.empty(); });
  if (!refused_.empty()) {
    const std::string message = refused_;
    lock.unlock();
    stop();  // the listener has ended: joins it
    throw ConfigurationError(message);
  }
  if (!done) {
    throw ConnectionError(kSqlstateUnableToConnect,
                          "pgfast::Invalidator: not listening within " +
                              std::to_string(timeout.count()) +
                              " ms (still retrying): " + last_connect_error_);
  }
}

void InvalidatorImpl::wake() noexcept {
  std::lock_guard<std::mutex> lock(mutex_);
  if (wake_pipe_[1] < 0) return;
  const char byte = 1;
  [[maybe_unused]] const auto ignored = ::write(wake_pipe_[1], &byte, 1);
}

void InvalidatorImpl::stop() noexcept {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!thread_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  wake();
  thread_.join();
  std::lock_guard<std::mutex> lock(mutex_);
  ::close(wake_pipe_[0]);
  ::close(wake_pipe_[1]);
  wake_pipe_[0] = wake_pipe_[1] = -1;
}

void InvalidatorImpl::run() {
  auto delay = options_.reconnect_min;
  bool first_attempt = true;
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_) return;
    }
    const bool resync = !first_attempt || options_.invalidate_on_start;
    first_attempt = false;
    try {
      Connection conn(with_keepalives(options_.database_url));
      if (conn.through_pooler()) throw ConfigurationError(kPoolerRefused);
      pg_conn* raw = conn.native_handle();
      char* channel = PQescapeIdentifier(raw, options_.channel.c_str(), options_.channel.size());
      if (channel == nullptr) conn.throw_error(nullptr);
      const std::string listen = std::string("LISTEN ") + channel;
      PQfreemem(channel);
      conn.execute(listen);
      // Listening now: anything committed from here on is heard. What was committed while not
      // listening is not, hence the resync.
      InvalidationEvent ready;
      if (resync) {
        ready = invalidate_all();
      } else {
        ready.kind = InvalidationEvent::Kind::resync;
      }
      {
        std::lock_guard<std::mutex> lock(mutex_);
        ++connects_;
        backend_pid_ = conn.backend_pid();
      }
      publish(ready);
      delay = options_.reconnect_min;
      // When the bytes the buffered notifications came in were read: the lag gauge's start.
      auto received_at = std::chrono::steady_clock::now();
      while (true) {
        // Notifications can arrive together with a command's reply (the LISTEN's, or with the
        // data poll() reported last time): libpq has buffered them, so drain before waiting.
        while (PGnotify* n = PQnotifies(raw)) {
          const std::string payload = n->extra;
          PQfreemem(n);
          handle(payload);
          if (metrics_) metrics_->set_lag(std::chrono::steady_clock::now() - received_at);
        }
        bool pending;
        {
          std::lock_guard<std::mutex> lock(mutex_);
          if (stopping_) return;
          pending = resync_pending_;
        }
        pollfd fds[2] = {{PQsocket(raw), POLLIN, 0}, {wake_pipe_[0], POLLIN, 0}};
        const int ready_fds = ::poll(fds, 2, pending ? 1000 : -1);
        if (ready_fds < 0 && errno != EINTR) throw ClientError("poll() failed");
        if (fds[1].revents != 0) {  // woken by stop() or by a pending resync
          char buffer[64];
          while (::read(wake_pipe_[0], buffer, sizeof buffer) > 0) {
          }
          continue;
        }
        if (ready_fds == 0 && pending) {
          publish(invalidate_all());
          continue;
        }
        if (fds[0].revents == 0) continue;
        received_at = std::chrono::steady_clock::now();
        if (PQconsumeInput(raw) == 0 || PQstatus(raw) == CONNECTION_BAD) {
          throw ConnectionError(kSqlstateConnectionFailure,
                                std::string("LISTEN connection lost: ") + PQerrorMessage(raw));
        }
      }
    } catch (const std::exception& e) {
      InvalidationEvent lost;
      lost.kind = InvalidationEvent::Kind::error;
      lost.error = e.what();
      {
        std::lock_guard<std::mutex> lock(mutex_);
        backend_pid_ = 0;
        last_connect_error_ = e.what();
      }
      publish(lost);
      std::unique_lock<std::mutex> lock(mutex_);
      if (connects_ == 0 && dynamic_cast<const ConfigurationError*>(&e) != nullptr) {
        // Refused before ever listening: start() reports it, nothing is retried. (Refused on a
        // reconnect, it is an error event per attempt, retried with the usual backoff.)
        refused_ = e.what();
        cv_.notify_all();
        return;
      }
      cv_.wait_for(lock, delay, [this] { return stopping_; });
      delay = std::min(delay * 2, options_.reconnect_max);
    }
  }
}

}  // namespace detail

// --- Invalidator ------------------------------------------------------------------------------

Invalidator::Invalidator(Cache cache, InvalidatorOptions options)
    : impl_(std::make_unique<detail::InvalidatorImpl>(std::move(cache), std::move(options))) {}

Invalidator::~Invalidator() = default;
Invalidator::Invalidator(Invalidator&&) noexcept = default;
Invalidator& Invalidator::operator=(Invalidator&&) noexcept = default;

Invalidator& Invalidator::watch(const std::string& table, std::vector<std::string> key_templates,
                                std::vector<std::string> tag_templates) {
  impl_->watch(table, std::move(key_templates), std::move(tag_templates));
  return *this;
}

void Invalidator::start(std::chrono::milliseconds timeout) {
  impl_->start(timeout);
}

void Invalidator::stop() noexcept {
  impl_->stop();
}

InvalidationEvent Invalidator::handle(const std::string& payload) {
  return impl_->handle(payload);
}

InvalidationEvent Invalidator::invalidate_all() {
  return impl_->invalidate_all();
}

void Invalidator::on_event(std::function<void(const InvalidationEvent&)> callback) {
  impl_->on_event(std::move(callback));
}

std::uint64_t Invalidator::events() const {
  return impl_->events();
}

InvalidationEvent Invalidator::last_event() const {
  return impl_->last_event();
}

std::uint64_t Invalidator::connects() const {
  return impl_->connects();
}

std::uint64_t Invalidator::resyncs() const {
  return impl_->resyncs();
}

int Invalidator::backend_pid() const {
  return impl_->backend_pid();
}

// --- test hooks -------------------------------------------------------------------------------

bool testing::InvalidatorAccess::wait_for_events(const Invalidator& invalidator,
                                                 std::uint64_t count,
                                                 std::chrono::milliseconds timeout) {
  return invalidator.impl_->wait_for_events(count, timeout);
}

std::optional<InvalidationEvent> testing::InvalidatorAccess::wait_for(
    const Invalidator& invalidator, InvalidationEvent::Kind kind, std::uint64_t after,
    std::chrono::milliseconds timeout) {
  return invalidator.impl_->wait_for(kind, after, timeout);
}

}  // namespace pgfast
