// The two Redis modes the behaviour suites run in (issue #17): "single", the shared server of
// scripts/with-services (REDIS_URL), and "cluster", the cluster tests/integration/redis_cluster.sh
// hands in (REDIS_CLUSTER_NODES). A suite is parameterised on RedisMode and instantiated with
// redis_mode_name, so its instances end in /single and /cluster; tests/CMakeLists.txt leaves
// "*/cluster" out of the per-test discovery and runs them under redis_cluster.sh instead.
#pragma once

#include <gtest/gtest.h>

#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "pgfast/redis/redis.hpp"
#include "redis/cluster_slot.hpp"
#include "redis_cluster.hpp"
#include "redis_server.hpp"

namespace pgfast_test {

enum class RedisMode { single, cluster };

inline const char* to_string(RedisMode mode) {
  return mode == RedisMode::single ? "single" : "cluster";
}
inline std::string redis_mode_name(const ::testing::TestParamInfo<RedisMode>& info) {
  return to_string(info.param);
}
// GoogleTest prints the parameter of a failed test with this.
inline void PrintTo(RedisMode mode, std::ostream* os) {
  *os << to_string(mode);
}

// Pool options for `mode` with redis_options()' test timeouts. Cluster mode without
// REDIS_CLUSTER_NODES fails the test (never a skip).
inline pgfast::RedisOptions redis_mode_options(RedisMode mode, int max_connections = 8) {
  if (mode == RedisMode::single) return redis_options(redis_url(), max_connections);
  const std::vector<std::string> seeds = cluster_seed_urls_from_env();
  if (seeds.empty()) {
    const char* message =
        "REDIS_CLUSTER_NODES is not set: the */cluster tests need a Redis Cluster. Run them "
        "through tests/integration/redis_cluster.sh (ctest integration.redis_cluster.*).";
    ADD_FAILURE() << message;
    throw std::runtime_error(message);
  }
  pgfast::RedisOptions o = redis_options("redis://unused:1", max_connections);
  o.cluster_nodes = seeds;
  return o;
}

// The master ("host:port") that serves `key`, from the cluster's own CLUSTER SLOTS; single-node
// mode: the one server.
inline std::string owner_of(pgfast::Redis& redis, const std::string& key) {
  if (!redis.cluster()) return redis.masters().front();
  return slot_owner(redis, pgfast::cluster::key_slot(key));
}

// How many keys matching `pattern` the node ("host:port") holds, by SCAN.
inline std::size_t count_keys_on(pgfast::Redis& redis, const std::string& node,
                                 const std::string& pattern) {
  std::size_t n = 0;
  std::string cursor = "0";
  do {
    const auto r = redis.command_on(node, {"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"});
    cursor = r[0].str();
    n += r[1].elements().size();
  } while (cursor != "0");
  return n;
}

}  // namespace pgfast_test
