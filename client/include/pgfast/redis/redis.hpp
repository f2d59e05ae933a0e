// pgfast::Redis: a pool of hiredis connections (one Redis layer shared by Cache and RateLimiter).
// Commands are argv vectors, binary safe. Connections are checked out LIFO, bounded by
// max_connections, opened lazily, and discarded when broken (I/O error, timeout, closed by the
// server), so a restarted redis-server is used again without restarting the client.
// With RedisOptions::cluster_nodes set it speaks to a Redis Cluster (docs/scale-out.md): one pool
// per node, each command sent to the node serving its keys' slot, MOVED/ASK followed,
// TRYAGAIN/CLUSTERDOWN retried within cluster_retry_budget, the slot map refreshed as needed.
// Thread safety: a handle, cheap to copy and thread-safe; copies share one pool (the last copy
// closes it).
// Pass it by value to Cache and RateLimiter to share one pool between them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "pgfast/errors.hpp"
#include "pgfast/redis/redis_options.hpp"
#include "pgfast/redis/redis_reply.hpp"

namespace pgfast {

namespace detail {
class RedisImpl;
}  // namespace detail

struct Settings;

struct RedisStats {
  std::size_t max_connections = 0;
  // Gauges.
  std::size_t open = 0;  // idle + checked out + being opened
  std::size_t idle = 0;
  std::size_t in_use = 0;
  std::size_t waiting = 0;  // callers blocked waiting for a connection
  // Counters since the pool was created.
  std::uint64_t connections_created = 0;
  std::uint64_t connections_discarded = 0;  // broken or closed by the server
  std::uint64_t connect_failures = 0;
  std::uint64_t commands = 0;        // commands sent (a pipeline counts each of its commands)
  std::uint64_t round_trips = 0;     // command() and pipeline() calls answered by the server
  std::uint64_t command_errors = 0;  // error replies raised as RedisReplyError
  std::uint64_t unavailable = 0;     // RedisUnavailableError thrown (any cause)
  std::uint64_t pool_timeouts = 0;   // of which: no connection free within pool_timeout
  // Redis Cluster only (0 otherwise); the figures above are then sums over every node's pool.
  std::uint64_t moved = 0;               // MOVED redirections followed
  std::uint64_t ask = 0;                 // ASK redirections followed (with ASKING)
  std::uint64_t cluster_retries = 0;     // TRYAGAIN / CLUSTERDOWN backoffs
  std::uint64_t slot_map_refreshes = 0;  // slot maps taken (CLUSTER SLOTS), the first included
};

// One node's pool in cluster mode.
struct RedisNodeStats {
  std::string node;        // "host:port"
  bool master = false;     // a master in the current slot map
  bool read_only = false;  // the READONLY connections to a replica (read_from_replicas)
  RedisStats stats;        // the node's pool; command_errors and the cluster counters stay 0
};

class Redis {
 public:
  // Throws ConfigurationError for a bad URL or option. Connects nothing yet.
  explicit Redis(RedisOptions options);
  explicit Redis(const Settings& settings);

  // One command, e.g. command({"SET", key, value, "PX", "1000"}). Throws RedisReplyError for an
  // error reply, RedisUnavailableError when the server cannot be used.
  RedisReply command(const std::vector<std::string>& argv);

  // Several commands in one round trip; replies in order. Error replies are returned as replies
  // (is_error()), not thrown, since the other commands did run; RedisUnavailableError when the
  // server cannot be used (then it is unknown which commands ran).
  std::vector<RedisReply> pipeline(const std::vector<std::vector<std::string>>& commands);

  // PING; false instead of an exception.
  bool ping() noexcept;

  // Cluster mode: RedisOptions::cluster_nodes is not empty.
  bool cluster() const noexcept;
  // The masters of the current slot map as "host:port" (taking one first if none is known);
  // single-node mode: the one server.
  std::vector<std::string> masters();
  // The node ("host:port") a command on `key` goes to now: cluster mode, the master serving the
  // key's slot in the current slot map (taking one first if none is known; RedisUnavailableError
  // when no node answers); single-node mode, the one server. For state kept per node
  // (RateLimiterOptions::redis_retry_after).
  std::string node_for_key(const std::string& key);
  // One command on the named node ("host:port"), not routed: for commands about a node rather
  // than a key (SCAN over every master, DBSIZE, INFO). Throws like command(); single-node mode
  // accepts only the server's own name.
  RedisReply command_on(const std::string& node, const std::vector<std::string>& argv);

  // Closes idle connections (checked-out ones are closed when given back).
  void close_idle() noexcept;

  RedisStats stats() const;
  // Cluster mode: one entry per node pool (masters and, with read_from_replicas, replicas);
  // single-node mode: the one server.
  std::vector<RedisNodeStats> node_stats() const;
  const RedisOptions& options() const noexcept;

 private:
  std::shared_ptr<detail::RedisImpl> impl_;
};

}  // namespace pgfast
