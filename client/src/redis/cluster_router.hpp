// detail::ClusterRouter: pgfast::Redis in Redis Cluster mode. Sends each command to the node
// serving its keys' slot (a RedisNodePool per node), following the cluster protocol: the slot map
// comes from CLUSTER SLOTS and is refreshed when missing, on MOVED, after a node could not be
// used, and every cluster_refresh_interval; MOVED is followed to the new owner, ASK with ASKING;
// TRYAGAIN and CLUSTERDOWN are retried with a bounded backoff (cluster_retry_budget). A command
// whose keys fall in different slots is refused (UsageError CROSSSLOT) before anything is sent.
// Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "pgfast/redis/redis.hpp"
#include "redis/cluster_node_address.hpp"
#include "redis/cluster_slot_map.hpp"
#include "redis/node_pool.hpp"

namespace pgfast::detail {

class ClusterRouter {
 public:
  // Validates the seeds (ConfigurationError); connects nothing yet.
  explicit ClusterRouter(const RedisOptions& options);
  ClusterRouter(const ClusterRouter&) = delete;
  ClusterRouter& operator=(const ClusterRouter&) = delete;

  // Error replies other than the cluster's own are returned, not thrown.
  RedisReply command(const std::vector<std::string>& argv);
  std::vector<RedisReply> pipeline(const std::vector<std::vector<std::string>>& commands);
  RedisReply command_on(const std::string& node, const std::vector<std::string>& argv);
  std::vector<std::string> masters();
  // The master serving `slot` in the current map, as "host:port".
  std::string master_for_slot(int slot);

  void close() noexcept;
  void close_idle() noexcept;
  RedisStats stats() const;
  std::vector<RedisNodeStats> node_stats() const;

 private:
  using PoolPtr = std::shared_ptr<RedisNodePool>;
  // One slot map with the pools of its nodes, replaced whole on refresh.
  struct Topology {
    cluster::SlotMap map;
    std::vector<PoolPtr> masters;                // by shard index
    std::vector<std::vector<PoolPtr>> replicas;  // by shard index (READONLY connections)
    std::chrono::steady_clock::time_point taken_at;
  };
  using TopologyPtr = std::shared_ptr<const Topology>;

  // The slot of argv's keys (nullopt: keyless); UsageError CROSSSLOT for keys in several slots.
  std::optional<int> slot_of(const std::vector<std::string>& argv);
  // The pool for `slot` (any master when nullopt); a replica when `read` and one is known.
  PoolPtr node_for(std::optional<int> slot, bool read);
  // Sends argv and follows the cluster's redirections and retries.
  RedisReply route(const std::vector<std::string>& argv, std::optional<int> slot, bool read,
                   PoolPtr target = nullptr, bool asking = false);
  TopologyPtr topology();
  // Takes a new slot map from the first node that answers. `wait`: there is no map, so wait for a
  // refresh in progress; otherwise none is started while one is in progress, nor, when
  // `throttled`, within the minimum interval of the last attempt.
  void refresh(bool wait, bool throttled = true);
  // After MOVED: a new map unless the current one already sends `slot` to `owner`.
  void refresh_after_moved(int slot, const cluster::NodeAddress& owner);
  PoolPtr pool_for(const cluster::NodeAddress& address, bool readonly);
  cluster::NodeAddress resolve(cluster::NodeAddress address, const RedisNodePool& answered) const;

  const RedisOptions options_;
  RedisEndpoint credentials_;  // user, password of the first seed; host/port replaced per node
  std::vector<cluster::NodeAddress> seeds_;

  mutable std::mutex mutex_;  // guards topology_ and the pool maps
  TopologyPtr topology_;
  std::map<cluster::NodeAddress, PoolPtr> pools_;          // read-write connections
  std::map<cluster::NodeAddress, PoolPtr> replica_pools_;  // READONLY connections
  std::mutex refresh_mutex_;                               // one refresh at a time
  std::chrono::steady_clock::time_point last_refresh_attempt_{};
  std::atomic<std::uint64_t> next_replica_{0};

  std::atomic<std::uint64_t> moved_{0};
  std::atomic<std::uint64_t> ask_{0};
  std::atomic<std::uint64_t> retries_{0};
  std::atomic<std::uint64_t> refreshes_{0};
};

}  // namespace pgfast::detail
