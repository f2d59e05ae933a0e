#include "pgfast/redis/redis.hpp"

#include <atomic>
#include <mutex>
#include <utility>

#include "lifo_pool.hpp"
#include "pgfast/settings.hpp"
#include "redis/redis_connection.hpp"
#include "shared_handle.hpp"

namespace pgfast {

namespace {

RedisOptions validated(RedisOptions o) {
  RedisEndpoint::parse(o.url);  // throws ConfigurationError
  if (o.max_connections < 1) {
    throw ConfigurationError("pgfast::Redis: max_connections must be >= 1, got " +
                             std::to_string(o.max_connections));
  }
  if (o.connect_timeout.count() < 0 || o.command_timeout.count() < 0 ||
      o.pool_timeout.count() < 0 || o.down_backoff.count() < 0 || o.probe_idle_after.count() < 0) {
    throw ConfigurationError("pgfast::Redis: timeouts must not be negative");
  }
  return o;
}

}  // namespace

namespace detail {

// The Redis policy over a LifoPool: lazy open, a connection closed by the server while idle is
// dropped on checkout, down_backoff after a failed connect, and the RedisStats counters.
class RedisImpl {
 public:
  explicit RedisImpl(RedisOptions options)
      : options_(validated(std::move(options))),
        endpoint_(options_.endpoint()),
        slots_(static_cast<std::size_t>(options_.max_connections)) {}

  // When the last handle is gone (make_shared_handle).
  void close() noexcept { slots_.close(); }

  // A connection checked out of the pool, given back (or discarded when broken) on destruction.
  // ("Lease" is the cache's stampede lock; a pool connection is a checkout.)
  class Checkout {
   public:
    Checkout(RedisImpl& pool, std::unique_ptr<RedisConnection> conn)
        : pool_(pool), conn_(std::move(conn)) {}
    ~Checkout() { pool_.give_back(std::move(conn_)); }
    Checkout(const Checkout&) = delete;
    Checkout& operator=(const Checkout&) = delete;
    RedisConnection* operator->() { return conn_.get(); }

   private:
    RedisImpl& pool_;
    std::unique_ptr<RedisConnection> conn_;
  };

  Checkout checkout() {
    const auto deadline = std::chrono::steady_clock::now() + options_.pool_timeout;
    for (;;) {
      auto loan = slots_.acquire(deadline, [this] { throw_if_down(); });
      using Outcome = LifoPool<RedisConnection>::Loan::Outcome;
      if (loan.outcome == Outcome::idle) {
        auto conn = std::move(loan.conn);  // LIFO: the most recently used, likely warm
        const bool recently_used =
            options_.probe_idle_after.count() > 0 &&
            std::chrono::steady_clock::now() - conn->idle_since() < options_.probe_idle_after;
        if (recently_used || !conn->closed_by_peer()) return Checkout(*this, std::move(conn));
        // Closed while idle (server restarted, idle timeout, CLIENT KILL): drop it, try again.
        slots_.discard(std::move(conn));
        ++discarded_;
        continue;
      }
      if (loan.outcome == Outcome::slot) return Checkout(*this, open());
      if (loan.outcome == Outcome::closed) throw RedisError("Redis: the pool is closed");
      unavailable_.fetch_add(1, std::memory_order_relaxed);
      throw RedisTimeoutError("Redis " + endpoint_string() + ": all " +
                              std::to_string(options_.max_connections) +
                              " connections are in use and none became free within the pool "
                              "timeout of " +
                              std::to_string(options_.pool_timeout.count()) + " ms");
    }
  }

  void give_back(std::unique_ptr<RedisConnection> conn) noexcept {
    if (!conn) return;
    const bool broken = conn->broken();
    if (!broken) conn->mark_idle();
    slots_.give_back(std::move(conn), !broken, slots_.capacity());
    if (broken) ++discarded_;
  }

  void close_idle() noexcept { slots_.close_idle(); }

  RedisStats stats() const {
    RedisStats s;
    const LifoPoolCounts counts = slots_.counts();
    s.max_connections = static_cast<std::size_t>(options_.max_connections);
    s.open = counts.open;
    s.idle = counts.idle;
    s.in_use = counts.in_use;
    s.waiting = counts.waiting;
    s.connections_created = created_;
    s.connections_discarded = discarded_;
    s.connect_failures = connect_failures_;
    s.commands = commands_.load(std::memory_order_relaxed);
    s.round_trips = round_trips_.load(std::memory_order_relaxed);
    s.command_errors = command_errors_.load(std::memory_order_relaxed);
    s.unavailable = unavailable_.load(std::memory_order_relaxed);
    s.pool_timeouts = slots_.timeouts();
    return s;
  }

  std::string endpoint_string() const {
    const bool v6 = endpoint_.host.find(':') != std::string::npos;
    return (v6 ? "[" + endpoint_.host + "]" : endpoint_.host) + ":" +
           std::to_string(endpoint_.port);
  }

  const RedisOptions options_;
  const RedisEndpoint endpoint_;
  std::atomic<std::uint64_t> commands_{0};
  std::atomic<std::uint64_t> round_trips_{0};
  std::atomic<std::uint64_t> command_errors_{0};
  std::atomic<std::uint64_t> unavailable_{0};

 private:
  // Within down_backoff of a failed connect, fails fast with that failure's error class instead
  // of opening a connection. Runs under the pool's lock.
  void throw_if_down() {
    std::lock_guard<std::mutex> lock(down_mutex_);
    if (std::chrono::steady_clock::now() >= down_until_) return;
    unavailable_.fetch_add(1, std::memory_order_relaxed);
    const std::string message =
        "Redis " + endpoint_string() +
        ": unreachable at the last connect attempt; not retrying for down_backoff " +
        std::to_string(options_.down_backoff.count()) + " ms (" + last_connect_error_ + ")";
    if (last_connect_timed_out_) throw RedisTimeoutError(message);
    throw RedisConnectionRefusedError(message);
  }

  // Opens a connection in the slot the caller reserved; on failure frees it and starts the
  // down_backoff.
  std::unique_ptr<RedisConnection> open() {
    try {
      auto conn = std::make_unique<RedisConnection>(endpoint_, options_.connect_timeout,
                                                    options_.command_timeout);
      ++created_;
      return conn;
    } catch (const std::exception& e) {
      {
        std::lock_guard<std::mutex> lock(down_mutex_);
        ++connect_failures_;
        last_connect_error_ = e.what();
        last_connect_timed_out_ = dynamic_cast<const RedisTimeoutError*>(&e) != nullptr;
        if (options_.down_backoff.count() > 0) {
          down_until_ = std::chrono::steady_clock::now() + options_.down_backoff;
        }
      }
      slots_.cancel_open();  // after down_until_ is set, so a caller given the slot sees it
      unavailable_.fetch_add(1, std::memory_order_relaxed);
      throw;
    }
  }

  LifoPool<RedisConnection> slots_;
  std::mutex down_mutex_;  // guards the last connect failure (locked inside slots_'s lock)
  std::chrono::steady_clock::time_point down_until_{};
  std::string last_connect_error_;
  bool last_connect_timed_out_ = false;  // which error the down_backoff fast failure repeats
  std::atomic<std::uint64_t> created_{0};
  std::atomic<std::uint64_t> discarded_{0};
  std::atomic<std::uint64_t> connect_failures_{0};
};

}  // namespace detail

Redis::Redis(RedisOptions options)
    : impl_(detail::make_shared_handle(std::make_shared<detail::RedisImpl>(std::move(options)))) {}

Redis::Redis(const Settings& settings) : Redis(RedisOptions::from_settings(settings)) {}

RedisReply Redis::command(const std::vector<std::string>& argv) {
  if (argv.empty()) throw RedisError("Redis: empty command");
  auto checkout = impl_->checkout();
  RedisReply reply;
  try {
    reply = checkout->command(argv);
  } catch (const RedisUnavailableError&) {
    impl_->unavailable_.fetch_add(1, std::memory_order_relaxed);
    throw;
  }
  impl_->commands_.fetch_add(1, std::memory_order_relaxed);
  impl_->round_trips_.fetch_add(1, std::memory_order_relaxed);
  if (reply.is_error()) {
    impl_->command_errors_.fetch_add(1, std::memory_order_relaxed);
    throw RedisReplyError(reply.str());
  }
  return reply;
}

std::vector<RedisReply> Redis::pipeline(const std::vector<std::vector<std::string>>& commands) {
  if (commands.empty()) return {};
  for (const auto& argv : commands) {
    if (argv.empty()) throw RedisError("Redis: empty command in a pipeline");
  }
  auto checkout = impl_->checkout();
  std::vector<RedisReply> replies;
  try {
    replies = checkout->pipeline(commands);
  } catch (const RedisUnavailableError&) {
    impl_->unavailable_.fetch_add(1, std::memory_order_relaxed);
    throw;
  }
  impl_->commands_.fetch_add(commands.size(), std::memory_order_relaxed);
  impl_->round_trips_.fetch_add(1, std::memory_order_relaxed);
  return replies;
}

bool Redis::ping() noexcept {
  try {
    const RedisReply r = command({"PING"});
    return r.is_status() && r.str() == "PONG";
  } catch (...) {
    return false;
  }
}

void Redis::close_idle() noexcept {
  impl_->close_idle();
}

RedisStats Redis::stats() const {
  return impl_->stats();
}

const RedisOptions& Redis::options() const noexcept {
  return impl_->options_;
}

}  // namespace pgfast
