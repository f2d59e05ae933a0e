#include "pgfast/redis/redis.hpp"

#include <atomic>
#include <utility>

#include "pgfast/settings.hpp"
#include "redis/cluster_router.hpp"
#include "redis/cluster_slot.hpp"
#include "redis/node_pool.hpp"
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
      o.pool_timeout.count() < 0 || o.down_backoff.count() < 0 || o.probe_idle_after.count() < 0 ||
      o.cluster_refresh_interval.count() < 0 || o.cluster_retry_budget.count() < 0) {
    throw ConfigurationError("pgfast::Redis: timeouts must not be negative");
  }
  if (o.cluster_max_redirects < 1) {
    throw ConfigurationError("pgfast::Redis: cluster_max_redirects must be >= 1, got " +
                             std::to_string(o.cluster_max_redirects));
  }
  return o;
}

}  // namespace

namespace detail {

// One server's pool, or the cluster router with a pool per node.
class RedisImpl {
 public:
  explicit RedisImpl(RedisOptions options) : options_(validated(std::move(options))) {
    if (options_.cluster_nodes.empty()) {
      single_ = std::make_unique<RedisNodePool>(options_, options_.endpoint());
    } else {
      cluster_ = std::make_unique<ClusterRouter>(options_);
    }
  }

  // When the last handle is gone (make_shared_handle).
  void close() noexcept {
    if (single_) single_->close();
    if (cluster_) cluster_->close();
  }

  const RedisOptions options_;
  std::unique_ptr<RedisNodePool> single_;
  std::unique_ptr<ClusterRouter> cluster_;
  std::atomic<std::uint64_t> command_errors_{0};
};

}  // namespace detail

Redis::Redis(RedisOptions options)
    : impl_(detail::make_shared_handle(std::make_shared<detail::RedisImpl>(std::move(options)))) {}

Redis::Redis(const Settings& settings) : Redis(RedisOptions::from_settings(settings)) {}

RedisReply Redis::command(const std::vector<std::string>& argv) {
  if (argv.empty()) throw RedisError("Redis: empty command");
  RedisReply reply =
      impl_->single_ ? impl_->single_->command(argv) : impl_->cluster_->command(argv);
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
  return impl_->single_ ? impl_->single_->pipeline(commands) : impl_->cluster_->pipeline(commands);
}

bool Redis::ping() noexcept {
  try {
    const RedisReply r = command({"PING"});
    return r.is_status() && r.str() == "PONG";
  } catch (...) {
    return false;
  }
}

bool Redis::cluster() const noexcept {
  return impl_->cluster_ != nullptr;
}

std::vector<std::string> Redis::masters() {
  if (impl_->single_) return {impl_->single_->name()};
  return impl_->cluster_->masters();
}

std::string Redis::node_for_key(const std::string& key) {
  if (impl_->single_) return impl_->single_->name();
  return impl_->cluster_->master_for_slot(cluster::key_slot(key));
}

RedisReply Redis::command_on(const std::string& node, const std::vector<std::string>& argv) {
  if (argv.empty()) throw RedisError("Redis: empty command");
  RedisReply reply;
  if (impl_->single_) {
    if (node != impl_->single_->name()) {
      throw UsageError("Redis::command_on: \"" + node + "\" is not this client's server (" +
                       impl_->single_->name() + ")");
    }
    reply = impl_->single_->command(argv);
  } else {
    reply = impl_->cluster_->command_on(node, argv);
  }
  if (reply.is_error()) {
    impl_->command_errors_.fetch_add(1, std::memory_order_relaxed);
    throw RedisReplyError(reply.str());
  }
  return reply;
}

void Redis::close_idle() noexcept {
  if (impl_->single_) impl_->single_->close_idle();
  if (impl_->cluster_) impl_->cluster_->close_idle();
}

RedisStats Redis::stats() const {
  RedisStats s = impl_->single_ ? impl_->single_->stats() : impl_->cluster_->stats();
  s.command_errors = impl_->command_errors_.load(std::memory_order_relaxed);
  return s;
}

std::vector<RedisNodeStats> Redis::node_stats() const {
  if (impl_->single_) return {{impl_->single_->name(), true, false, impl_->single_->stats()}};
  return impl_->cluster_->node_stats();
}

const RedisOptions& Redis::options() const noexcept {
  return impl_->options_;
}

}  // namespace pgfast
