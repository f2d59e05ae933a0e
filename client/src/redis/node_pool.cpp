#include "redis/node_pool.hpp"

#include <utility>

namespace pgfast::detail {

std::string endpoint_name(const RedisEndpoint& endpoint) {
  const bool v6 = endpoint.host.find(':') != std::string::npos;
  return (v6 ? "[" + endpoint.host + "]" : endpoint.host) + ":" + std::to_string(endpoint.port);
}

RedisNodePool::RedisNodePool(const RedisOptions& options, RedisEndpoint endpoint, bool readonly)
    : options_(options),
      endpoint_(std::move(endpoint)),
      readonly_(readonly),
      name_(endpoint_name(endpoint_)),
      slots_(static_cast<std::size_t>(options.max_connections)) {}

void RedisNodePool::close() noexcept {
  slots_.close();
}

RedisNodePool::Checkout RedisNodePool::checkout() {
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
    throw RedisTimeoutError("Redis " + name_ + ": all " + std::to_string(options_.max_connections) +
                            " connections are in use and none became free within the pool "
                            "timeout of " +
                            std::to_string(options_.pool_timeout.count()) + " ms");
  }
}

RedisReply RedisNodePool::command(const std::vector<std::string>& argv) {
  auto checkout = this->checkout();
  RedisReply reply;
  try {
    reply = checkout->command(argv);
  } catch (const RedisUnavailableError&) {
    unavailable_.fetch_add(1, std::memory_order_relaxed);
    throw;
  }
  commands_.fetch_add(1, std::memory_order_relaxed);
  round_trips_.fetch_add(1, std::memory_order_relaxed);
  return reply;
}

std::vector<RedisReply> RedisNodePool::pipeline(
    const std::vector<std::vector<std::string>>& commands) {
  auto checkout = this->checkout();
  std::vector<RedisReply> replies;
  try {
    replies = checkout->pipeline(commands);
  } catch (const RedisUnavailableError&) {
    unavailable_.fetch_add(1, std::memory_order_relaxed);
    throw;
  }
  commands_.fetch_add(commands.size(), std::memory_order_relaxed);
  round_trips_.fetch_add(1, std::memory_order_relaxed);
  return replies;
}

RedisReply RedisNodePool::asking(const std::vector<std::string>& argv) {
  auto replies = pipeline({{"ASKING"}, argv});
  return std::move(replies[1]);
}

void RedisNodePool::give_back(std::unique_ptr<RedisConnection> conn) noexcept {
  if (!conn) return;
  const bool broken = conn->broken();
  if (!broken) conn->mark_idle();
  slots_.give_back(std::move(conn), !broken, slots_.capacity());
  if (broken) ++discarded_;
}

void RedisNodePool::close_idle() noexcept {
  slots_.close_idle();
}

bool RedisNodePool::down() const {
  std::lock_guard<std::mutex> lock(down_mutex_);
  return std::chrono::steady_clock::now() < down_until_;
}

RedisStats RedisNodePool::stats() const {
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
  s.unavailable = unavailable_.load(std::memory_order_relaxed);
  s.pool_timeouts = slots_.timeouts();
  return s;
}

// Within down_backoff of a failed connect, fails fast with that failure's error class instead of
// opening a connection. Runs under the pool's lock.
void RedisNodePool::throw_if_down() {
  std::lock_guard<std::mutex> lock(down_mutex_);
  if (std::chrono::steady_clock::now() >= down_until_) return;
  unavailable_.fetch_add(1, std::memory_order_relaxed);
  const std::string message =
      "Redis " + name_ +
      ": unreachable at the last connect attempt; not retrying for down_backoff " +
      std::to_string(options_.down_backoff.count()) + " ms (" + last_connect_error_ + ")";
  if (last_connect_timed_out_) throw RedisTimeoutError(message);
  throw RedisConnectionRefusedError(message);
}

// Opens a connection in the slot the caller reserved; on failure frees it and starts the
// down_backoff.
std::unique_ptr<RedisConnection> RedisNodePool::open() {
  try {
    auto conn = std::make_unique<RedisConnection>(endpoint_, options_.connect_timeout,
                                                  options_.command_timeout, readonly_);
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

}  // namespace pgfast::detail
