#include "redis/cluster_router.hpp"

#include <algorithm>
#include <thread>
#include <utility>

#include "redis/cluster_redirect.hpp"
#include "redis/cluster_slot.hpp"
#include "redis/command_keys.hpp"

namespace pgfast::detail {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// After a node failed, a slot map is not taken again sooner than this after the last attempt, so
// that callers failing fast on a down node do not ask for one each. (After MOVED a map is taken
// unless the current one already has the new owner; when there is none, always.)
constexpr milliseconds kMinRefreshInterval{100};
// TRYAGAIN / CLUSTERDOWN backoff: doubles from the first to the last, within the retry budget.
constexpr milliseconds kFirstBackoff{2};
constexpr milliseconds kMaxBackoff{50};

RedisEndpoint seed_endpoint(const std::string& url, std::size_t index) {
  const std::string what = "REDIS_CLUSTER_NODES[" + std::to_string(index) + "]";
  RedisEndpoint e = RedisEndpoint::parse(url, what);
  if (e.db != 0) {
    throw ConfigurationError(what + ": Redis Cluster has only database 0, the URL selects " +
                             std::to_string(e.db));
  }
  return e;
}

void add(RedisStats& sum, const RedisStats& s) {
  sum.max_connections += s.max_connections;
  sum.open += s.open;
  sum.idle += s.idle;
  sum.in_use += s.in_use;
  sum.waiting += s.waiting;
  sum.connections_created += s.connections_created;
  sum.connections_discarded += s.connections_discarded;
  sum.connect_failures += s.connect_failures;
  sum.commands += s.commands;
  sum.round_trips += s.round_trips;
  sum.unavailable += s.unavailable;
  sum.pool_timeouts += s.pool_timeouts;
}

bool is_redirect_or_retry(const RedisReply& reply) {
  if (!reply.is_error()) return false;
  const cluster::ClusterError kind = cluster::classify_cluster_error(reply.str());
  return kind == cluster::ClusterError::moved || kind == cluster::ClusterError::ask ||
         cluster::retry_after_backoff(kind);
}

}  // namespace

ClusterRouter::ClusterRouter(const RedisOptions& options) : options_(options) {
  if (options_.cluster_nodes.empty()) {
    throw ConfigurationError("pgfast::Redis: cluster mode needs at least one seed node");
  }
  for (std::size_t i = 0; i < options_.cluster_nodes.size(); ++i) {
    const RedisEndpoint e = seed_endpoint(options_.cluster_nodes[i], i);
    if (i == 0) credentials_ = e;
    seeds_.push_back({e.host, e.port});
  }
}

std::optional<int> ClusterRouter::slot_of(const std::vector<std::string>& argv) {
  if (argv.empty()) throw RedisError("Redis: empty command");
  std::optional<std::vector<std::string>> keys = cluster::command_keys(argv);
  if (!keys) {
    // Not in the table: the server knows where the keys are. An error (no key arguments, or an
    // unknown command the real call will report) means keyless.
    std::vector<std::string> getkeys{"COMMAND", "GETKEYS"};
    getkeys.insert(getkeys.end(), argv.begin(), argv.end());
    const RedisReply r = route(getkeys, std::nullopt, false);
    keys.emplace();
    if (r.is_array()) {
      for (const auto& k : r.elements()) keys->push_back(k.str());
    }
  }
  return cluster::common_slot(*keys, argv[0]);
}

ClusterRouter::TopologyPtr ClusterRouter::topology() {
  TopologyPtr t;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    t = topology_;
  }
  if (!t) {
    refresh(true);
    std::lock_guard<std::mutex> lock(mutex_);
    t = topology_;
    if (!t) {
      std::string seeds;
      for (const auto& s : seeds_) seeds += (seeds.empty() ? "" : ", ") + s.to_string();
      throw RedisConnectionRefusedError(
          "Redis Cluster: no node answered CLUSTER SLOTS (seeds: " + seeds + ")");
    }
  } else if (options_.cluster_refresh_interval.count() > 0 &&
             Clock::now() - t->taken_at >= options_.cluster_refresh_interval) {
    refresh(false);
    std::lock_guard<std::mutex> lock(mutex_);
    t = topology_;
  }
  return t;
}

void ClusterRouter::refresh_after_moved(int slot, const cluster::NodeAddress& owner) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const cluster::Shard* shard = topology_ ? topology_->map.shard_for_slot(slot) : nullptr;
    if (shard != nullptr && shard->master == owner) return;  // another caller refreshed it
  }
  refresh(false, false);
}

void ClusterRouter::refresh(bool wait, bool throttled) {
  std::unique_lock<std::mutex> refreshing(refresh_mutex_, std::defer_lock);
  if (wait) {
    refreshing.lock();
    std::lock_guard<std::mutex> lock(mutex_);
    if (topology_) return;  // another caller took one while this one waited
  } else {
    if (!refreshing.try_lock()) return;  // one is being taken; use the current map meanwhile
    if (throttled && Clock::now() - last_refresh_attempt_ < kMinRefreshInterval) return;
  }
  last_refresh_attempt_ = Clock::now();

  // Ask the known masters, then their replicas, then the seeds; nodes failing fast (down_backoff)
  // last.
  std::vector<cluster::NodeAddress> candidates;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (topology_) {
      for (const auto& shard : topology_->map.shards()) candidates.push_back(shard.master);
      for (const auto& shard : topology_->map.shards()) {
        candidates.insert(candidates.end(), shard.replicas.begin(), shard.replicas.end());
      }
    }
  }
  candidates.insert(candidates.end(), seeds_.begin(), seeds_.end());
  std::vector<cluster::NodeAddress> unique;
  for (const auto& c : candidates) {
    if (std::find(unique.begin(), unique.end(), c) == unique.end()) unique.push_back(c);
  }
  std::stable_partition(unique.begin(), unique.end(), [this](const cluster::NodeAddress& a) {
    return !pool_for(a, false)->down();
  });

  for (const auto& address : unique) {
    try {
      const RedisReply reply = pool_for(address, false)->command({"CLUSTER", "SLOTS"});
      if (reply.is_error()) continue;
      auto next = std::make_shared<Topology>();
      next->map = cluster::SlotMap::from_cluster_slots(reply, address.host);
      if (next->map.shards().empty()) continue;  // a node not (yet) part of a cluster
      for (const auto& shard : next->map.shards()) {
        next->masters.push_back(pool_for(shard.master, false));
        std::vector<PoolPtr> replicas;
        for (const auto& r : shard.replicas) replicas.push_back(pool_for(r, true));
        next->replicas.push_back(std::move(replicas));
      }
      next->taken_at = Clock::now();
      {
        std::lock_guard<std::mutex> lock(mutex_);
        topology_ = std::move(next);
      }
      refreshes_.fetch_add(1, std::memory_order_relaxed);
      return;
    } catch (const RedisError&) {
      continue;  // unreachable, or a reply that is not a slot map: ask the next node
    }
  }
}

ClusterRouter::PoolPtr ClusterRouter::pool_for(const cluster::NodeAddress& address, bool readonly) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& pools = readonly ? replica_pools_ : pools_;
  auto it = pools.find(address);
  if (it != pools.end()) return it->second;
  RedisEndpoint endpoint = credentials_;
  endpoint.host = address.host;
  endpoint.port = address.port;
  auto pool = std::make_shared<RedisNodePool>(options_, std::move(endpoint), readonly);
  pools.emplace(address, pool);
  return pool;
}

cluster::NodeAddress ClusterRouter::resolve(cluster::NodeAddress address,
                                            const RedisNodePool& answered) const {
  if (address.host.empty()) address.host = answered.endpoint().host;
  return address;
}

ClusterRouter::PoolPtr ClusterRouter::node_for(std::optional<int> slot, bool read) {
  TopologyPtr t = topology();
  if (!slot) {
    // Keyless: the first master that is not failing fast.
    for (const auto& m : t->masters) {
      if (!m->down()) return m;
    }
    return t->masters.front();
  }
  const cluster::Shard* shard = t->map.shard_for_slot(*slot);
  if (shard == nullptr) {
    refresh(false);
    t = topology();
    shard = t->map.shard_for_slot(*slot);
    if (shard == nullptr) {
      throw RedisConnectionRefusedError("Redis Cluster: no master serves slot " +
                                        std::to_string(*slot) +
                                        " (unserved slots: " + t->map.describe_gaps() + ")");
    }
  }
  const auto index = static_cast<std::size_t>(shard - t->map.shards().data());
  if (read && !t->replicas[index].empty()) {
    const auto& replicas = t->replicas[index];
    const std::uint64_t start = next_replica_.fetch_add(1, std::memory_order_relaxed);
    for (std::size_t i = 0; i < replicas.size(); ++i) {
      const PoolPtr& r = replicas[(start + i) % replicas.size()];
      if (!r->down()) return r;
    }
  }
  return t->masters[index];
}

RedisReply ClusterRouter::route(const std::vector<std::string>& argv, std::optional<int> slot,
                                bool read, PoolPtr target, bool asking) {
  int redirects = 0;
  bool tried_new_owner = false;
  const auto deadline = Clock::now() + options_.cluster_retry_budget;
  milliseconds backoff = kFirstBackoff;
  for (;;) {
    if (!target) target = node_for(slot, read);
    RedisReply reply;
    try {
      reply = asking ? target->asking(argv) : target->command(argv);
    } catch (const RedisUnavailableError&) {
      // The node may have failed over: with a new map naming another node for the slot, try
      // that one once; otherwise the caller gets the error (and its failure mode) at once.
      refresh(false);
      if (!tried_new_owner) {
        tried_new_owner = true;
        PoolPtr owner = node_for(slot, read);
        if (owner != target) {
          target = std::move(owner);
          asking = false;
          continue;
        }
      }
      throw;
    }
    if (!reply.is_error()) return reply;
    const cluster::ClusterError kind = cluster::classify_cluster_error(reply.str());
    if (kind == cluster::ClusterError::moved || kind == cluster::ClusterError::ask) {
      if (++redirects > options_.cluster_max_redirects) {
        // The cluster disagrees with itself about the slot (a migration half set up, or nodes
        // with different epochs): unusable for this key now, like a node that is down, so the
        // cache falls through and the limiter applies its failure mode.
        throw RedisConnectionRefusedError("Redis Cluster: " + argv[0] + " redirected more than " +
                                          std::to_string(options_.cluster_max_redirects) +
                                          " times (cluster_max_redirects); last: " + reply.str());
      }
      const std::optional<cluster::Redirect> redirect = cluster::parse_redirect(reply.str());
      const cluster::NodeAddress address = resolve(redirect->node, *target);
      asking = redirect->ask;
      if (asking) {
        ask_.fetch_add(1, std::memory_order_relaxed);
      } else {
        moved_.fetch_add(1, std::memory_order_relaxed);
        refresh_after_moved(redirect->slot, address);
      }
      target = pool_for(address, false);
      continue;
    }
    if (cluster::retry_after_backoff(kind) && Clock::now() + backoff <= deadline) {
      retries_.fetch_add(1, std::memory_order_relaxed);
      std::this_thread::sleep_for(backoff);
      backoff = std::min(backoff * 2, kMaxBackoff);
      if (kind == cluster::ClusterError::cluster_down) {
        refresh(false);
        target = nullptr;
        asking = false;
      }
      continue;
    }
    return reply;
  }
}

RedisReply ClusterRouter::command(const std::vector<std::string>& argv) {
  const std::optional<int> slot = slot_of(argv);
  const bool read = options_.read_from_replicas && cluster::is_read_only(argv[0]);
  return route(argv, slot, read);
}

std::vector<RedisReply> ClusterRouter::pipeline(
    const std::vector<std::vector<std::string>>& commands) {
  // Every command's slot first: a CROSSSLOT command stops the pipeline before anything is sent.
  std::vector<std::optional<int>> slots;
  std::vector<bool> reads;
  slots.reserve(commands.size());
  for (const auto& argv : commands) {
    slots.push_back(slot_of(argv));
    reads.push_back(options_.read_from_replicas && cluster::is_read_only(argv[0]));
  }
  // One pipeline per node, each command in its caller's order.
  std::vector<std::pair<PoolPtr, std::vector<std::size_t>>> groups;
  for (std::size_t i = 0; i < commands.size(); ++i) {
    PoolPtr node = node_for(slots[i], reads[i]);
    auto it =
        std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == node; });
    if (it == groups.end()) {
      groups.emplace_back(std::move(node), std::vector<std::size_t>{});
      it = groups.end() - 1;
    }
    it->second.push_back(i);
  }
  std::vector<RedisReply> replies(commands.size());
  for (const auto& [node, indexes] : groups) {
    std::vector<std::vector<std::string>> batch;
    batch.reserve(indexes.size());
    for (std::size_t i : indexes) batch.push_back(commands[i]);
    std::vector<RedisReply> got;
    try {
      got = node->pipeline(batch);
    } catch (const RedisUnavailableError&) {
      refresh(false);
      throw;  // as in single-node mode: which commands ran is unknown
    }
    for (std::size_t j = 0; j < indexes.size(); ++j) replies[indexes[j]] = std::move(got[j]);
  }
  // A command redirected or asked to retry is sent again on its own, in order.
  for (std::size_t i = 0; i < commands.size(); ++i) {
    if (is_redirect_or_retry(replies[i])) replies[i] = route(commands[i], slots[i], reads[i]);
  }
  return replies;
}

RedisReply ClusterRouter::command_on(const std::string& node,
                                     const std::vector<std::string>& argv) {
  if (argv.empty()) throw RedisError("Redis: empty command");
  return pool_for(cluster::parse_node_address(node, "Redis Cluster node"), false)->command(argv);
}

std::vector<std::string> ClusterRouter::masters() {
  const TopologyPtr t = topology();
  std::vector<std::string> out;
  for (const auto& m : t->masters) out.push_back(m->name());
  return out;
}

std::string ClusterRouter::master_for_slot(int slot) {
  return node_for(slot, false)->name();
}

void ClusterRouter::close() noexcept {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& [address, pool] : pools_) pool->close();
  for (auto& [address, pool] : replica_pools_) pool->close();
}

void ClusterRouter::close_idle() noexcept {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& [address, pool] : pools_) pool->close_idle();
  for (auto& [address, pool] : replica_pools_) pool->close_idle();
}

RedisStats ClusterRouter::stats() const {
  RedisStats sum;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [address, pool] : pools_) add(sum, pool->stats());
    for (const auto& [address, pool] : replica_pools_) add(sum, pool->stats());
  }
  sum.moved = moved_.load(std::memory_order_relaxed);
  sum.ask = ask_.load(std::memory_order_relaxed);
  sum.cluster_retries = retries_.load(std::memory_order_relaxed);
  sum.slot_map_refreshes = refreshes_.load(std::memory_order_relaxed);
  return sum;
}

std::vector<RedisNodeStats> ClusterRouter::node_stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<RedisNodeStats> out;
  for (const auto& [address, pool] : pools_) {
    const bool master = topology_ && std::find(topology_->masters.begin(), topology_->masters.end(),
                                               pool) != topology_->masters.end();
    out.push_back({pool->name(), master, false, pool->stats()});
  }
  for (const auto& [address, pool] : replica_pools_) {
    out.push_back({pool->name(), false, true, pool->stats()});
  }
  return out;
}

}  // namespace pgfast::detail
